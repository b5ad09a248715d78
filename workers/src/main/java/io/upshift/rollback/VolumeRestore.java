package io.upshift.rollback;

import java.util.List;

/**
 * What the rollback did to one volume: its content before the restore (the failed state) was saved
 * as an archive on Upshift's host, then the volume was cleared, the restore point's archive
 * extracted and the result checked against it.
 *
 * @param volume the descriptor's volume (name or path)
 * @param restoredFrom the backup id restored
 * @param entries files, directories and links the volume holds now
 * @param failedStateKeptAs the archive of the volume as the failed release left it
 * @param added files the failed state has and the restore point had not (first {@value #LISTED})
 * @param changed files whose content or type differs (first {@value #LISTED})
 * @param removed files the failed release deleted, back now (first {@value #LISTED})
 * @param listFile the JSON file with every added, changed and removed path (no cap), for whoever
 *     carries the failed release's files over by hand; null when nothing differs
 */
public record VolumeRestore(
    String volume,
    String restoredFrom,
    int entries,
    String failedStateKeptAs,
    int addedCount,
    int changedCount,
    int removedCount,
    List<String> added,
    List<String> changed,
    List<String> removed,
    String listFile) {

  static final int LISTED = 20;

  /** "Volume uploads: 3 files written after the stop were not carried back (...); kept in ...". */
  public String sentence() {
    if (addedCount == 0 && changedCount == 0) {
      return "Volume "
          + volume
          + " restored from "
          + restoredFrom
          + " ("
          + entries
          + " entries); no file was written after the stop"
          + (removedCount == 1
              ? ", 1 deleted file is back"
              : removedCount > 1 ? ", " + removedCount + " deleted files are back" : "")
          + ".";
    }
    StringBuilder text = new StringBuilder("Volume ").append(volume).append(" restored from ");
    text.append(restoredFrom).append(": ");
    if (addedCount > 0) {
      text.append(addedCount)
          .append(addedCount == 1 ? " file" : " files")
          .append(" written after the stop")
          .append(addedCount == 1 ? " was" : " were")
          .append(" not carried back (")
          .append(String.join(", ", added))
          .append(addedCount > added.size() ? ", …" : "")
          .append(")");
    }
    if (changedCount > 0) {
      text.append(addedCount > 0 ? "; " : "")
          .append(changedCount)
          .append(changedCount == 1 ? " file" : " files")
          .append(" changed after the stop")
          .append(changedCount == 1 ? " is" : " are")
          .append(changedCount == 1 ? " back as it was (" : " back as they were (")
          .append(String.join(", ", changed))
          .append(changedCount > changed.size() ? ", …" : "")
          .append(")");
    }
    text.append("; the failed state is kept in ").append(failedStateKeptAs);
    if (listFile != null && (addedCount > added.size() || changedCount > changed.size())) {
      text.append(", every path is listed in ").append(listFile);
    }
    text.append(".");
    return text.toString();
  }
}
