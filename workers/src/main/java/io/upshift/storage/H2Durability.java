package io.upshift.storage;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

/**
 * Makes every commit to an H2 file database reach the file before the commit returns.
 *
 * <p>H2's default keeps committed transactions in memory for up to {@code WRITE_DELAY} (500 ms) and
 * writes them in the background: a {@code kill -9}, an OOM kill or a container stop without grace
 * loses the last commits although their callers were told they succeeded. For Upshift that lost the
 * journal's newest step and the run's checkpoint (a kill right after a step started or an approval
 * task was stored: the run resumed one step too early, and the journal named the step before as the
 * one in progress). Measured here with H2 2.3.232: a writer committing every 20 ms and killed with
 * {@code kill -9} lost its last 9 to 25 commits with the default, none with {@code WRITE_DELAY 0}.
 *
 * <p>The setting is not kept in the database file (it is lost when the database is opened again),
 * and an operator's {@code spring.datasource.url} may not carry {@code ;WRITE_DELAY=0}, so it is
 * set on the open database as soon as the data source exists, before Flyway or any other bean uses
 * it. Other databases (PostgreSQL in production) are left alone.
 */
@Component
class H2Durability implements BeanPostProcessor {

  private static final Logger log = LoggerFactory.getLogger(H2Durability.class);

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (bean instanceof DataSource dataSource) {
      makeDurable(dataSource, beanName);
    }
    return bean;
  }

  /**
   * Sets {@code WRITE_DELAY 0} when the data source is an H2 database kept in a file.
   *
   * @return true when the setting was made
   */
  static boolean makeDurable(DataSource dataSource, String name) {
    Connection c;
    try {
      c = dataSource.getConnection();
    } catch (SQLException e) {
      // Not reachable yet (e.g. PostgreSQL starting): whoever uses it first reports that.
      log.debug("Data source {} not reachable at start-up: {}", name, e.getMessage());
      return false;
    }
    try (c) {
      var meta = c.getMetaData();
      if (!"H2".equals(meta.getDatabaseProductName()) || !isFile(meta.getURL())) {
        return false;
      }
      try (Statement s = c.createStatement()) {
        s.execute("SET WRITE_DELAY 0");
      }
      log.info("Data source {}: H2 writes each commit through (WRITE_DELAY 0)", name);
      return true;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "Cannot make the H2 database of data source "
              + name
              + " write each commit through (SET WRITE_DELAY 0): "
              + e.getMessage()
              + ". Without it a crash of Upshift loses its last commits; give the database user"
              + " admin rights, or add ;WRITE_DELAY=0 to spring.datasource.url.",
          e);
    }
  }

  private static boolean isFile(String url) {
    return url != null && !url.startsWith("jdbc:h2:mem:");
  }
}
