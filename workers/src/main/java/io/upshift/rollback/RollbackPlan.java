package io.upshift.rollback;

/**
 * What the rollback of a failed cutover undoes, read from the cutover log of the unfinished hop
 * (process variable {@code rollbackPlan}). Only what happened is undone: a hop that stopped the
 * platform but changed nothing else is restarted; one that switched files gets them back; one whose
 * migrations started gets its database restored from the hop's restore point.
 *
 * @param anythingToUndo false when the failing hop never stopped the platform
 * @param hop the hop being undone (its target release)
 * @param previousVersion the release the platform ran when the hop stopped it
 * @param restorePoint the backup taken at the hop's stop (files, images, database)
 * @param restoreFiles the hop checked out its release or migrated the configuration
 * @param restoreDatabase the hop started its schema migrations
 * @param summary one sentence a person reads
 */
public record RollbackPlan(
    boolean anythingToUndo,
    String hop,
    String previousVersion,
    String restorePoint,
    boolean restoreFiles,
    boolean restoreDatabase,
    String summary) {}
