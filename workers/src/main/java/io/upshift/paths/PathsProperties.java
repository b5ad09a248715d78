package io.upshift.paths;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code upshift.paths.*}: path verification settings.
 *
 * @param image the PostgreSQL image to verify on; empty: the target release's database image from
 *     its compose file (then {@code localhost:5000/upshift-demo/postgres:15})
 * @param summaryLimit the longest path matrix kept in the run's variables (characters)
 */
@ConfigurationProperties("upshift.paths")
record PathsProperties(String image, Integer summaryLimit) {

  PathsProperties {
    summaryLimit = summaryLimit == null ? 6000 : summaryLimit;
  }
}
