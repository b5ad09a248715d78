package io.upshift.support;

import java.io.IOException;
import java.net.ServerSocket;

/**
 * Host ports for what a test publishes later (a platform's compose ports, a child process's HTTP
 * port). A port from {@code new ServerSocket(0)} comes from the kernel's ephemeral range, where
 * every client socket of the machine (the writers', the other test JVM's) may take it again before
 * {@code compose up} binds it seconds or minutes later. These come from a block below that range
 * ({@code 32768} up on Linux), one block per test JVM (failsafe's fork number in {@code
 * upshift.it.fork}), handed out in turn and each checked free when handed out, so two forks never
 * hand out the same port and nothing else on the machine takes one by chance.
 */
public final class FreePorts {

  private static final int FIRST = 20_000;
  private static final int BLOCK = 2_000;
  private static final int FORK =
      Math.max(1, Math.min(6, Integer.getInteger("upshift.it.fork", 1)));
  private static final int LOW = FIRST + (FORK - 1) * BLOCK;
  private static final int HIGH = LOW + BLOCK;
  private static int next = LOW;

  private FreePorts() {}

  /** A port of this JVM's block that nothing listens on now. */
  public static synchronized int next() {
    for (int tried = 0; tried < BLOCK; tried++) {
      int port = next;
      next = next + 1 < HIGH ? next + 1 : LOW;
      if (free(port)) {
        return port;
      }
    }
    throw new IllegalStateException("no free port left in " + LOW + "-" + (HIGH - 1));
  }

  /** Bound on every address, as a published compose port is. */
  private static boolean free(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
