package io.upshift.backup;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The staging run of the rehearsal ({@link Staging}).
 *
 * @param enabled whether the rehearsal stages each hop's release on the restored copy; a run can
 *     still skip it with the run variable {@code staging: false}
 * @param startTimeout the longest the staged services may take to start, whatever the descriptor's
 *     own (longer) start timeouts say: staging stays bounded in time
 */
@ConfigurationProperties("upshift.staging")
record StagingProperties(
    @DefaultValue("true") boolean enabled, @DefaultValue("3m") Duration startTimeout) {}
