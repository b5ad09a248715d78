package io.upshift.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parsed arguments: words (command, subcommand, ids) and {@code --options}, which may come in
 * any order. Whether an option takes a value is the same for every command, so parsing needs no
 * command; {@link #allow} then checks the options against the command.
 */
final class CommandLine {

  /** Connection options every command takes. */
  static final List<String> CONNECTION = List.of("--url", "--user", "--password-file");

  private static final Set<String> VALUED =
      Set.of(
          "--url",
          "--user",
          "--password-file",
          "--state",
          "--limit",
          "--run",
          "--runbook",
          "--platform",
          "--target",
          "--var",
          "--var-json",
          "--timeout",
          "--interval",
          "--comment",
          "--reason");
  private static final Set<String> FLAGS = Set.of("--json", "--wait", "--help");
  private static final Set<String> REPEATABLE = Set.of("--var", "--var-json");

  private final List<String> words = new ArrayList<>();
  private final Map<String, List<String>> values = new LinkedHashMap<>();
  private final Set<String> flags = new LinkedHashSet<>();

  private CommandLine() {}

  static CommandLine parse(String[] args) {
    CommandLine line = new CommandLine();
    boolean optionsEnded = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (optionsEnded || !arg.startsWith("-") || arg.equals("-")) {
        line.words.add(arg);
        continue;
      }
      if (arg.equals("--")) {
        optionsEnded = true;
        continue;
      }
      if (arg.equals("-h")) {
        arg = "--help";
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      if (name.equals("--password")) {
        throw CliException.usage(
            "--password is not accepted: a password on the command line is visible to every user"
                + " of this machine (ps). Set UPSHIFT_PASSWORD or use --password-file FILE.");
      }
      if (VALUED.contains(name)) {
        String value;
        if (eq >= 0) {
          value = arg.substring(eq + 1);
        } else if (i + 1 < args.length) {
          value = args[++i];
        } else {
          throw CliException.usage(name + " needs a value");
        }
        List<String> given = line.values.computeIfAbsent(name, n -> new ArrayList<>());
        if (!given.isEmpty() && !REPEATABLE.contains(name)) {
          throw CliException.usage(name + " is given twice; give it once");
        }
        given.add(value);
      } else if (FLAGS.contains(name)) {
        if (eq >= 0) {
          throw CliException.usage(name + " takes no value (got '" + arg + "')");
        }
        line.flags.add(name);
      } else {
        throw CliException.usage("unknown option " + name + "; see 'upshift cli help'");
      }
    }
    return line;
  }

  /** The first {@code n} words, e.g. {@code "runs list"}. */
  String command(int n) {
    return String.join(" ", words.subList(0, Math.min(n, words.size())));
  }

  List<String> words() {
    return words;
  }

  /** Refuses options that {@code command} does not take, naming the ones it does. */
  void allow(String command, String... options) {
    Set<String> allowed = new TreeSet<>(List.of(options));
    for (String given : given()) {
      if (!allowed.contains(given) && !CONNECTION.contains(given) && !given.equals("--help")) {
        throw CliException.usage(
            given
                + " does not apply to '"
                + command
                + "'; "
                + (allowed.isEmpty()
                    ? "it takes no options"
                    : "its options are " + String.join(", ", allowed))
                + " (and "
                + String.join(", ", CONNECTION)
                + ")");
      }
    }
  }

  /**
   * The argument after the command's words, e.g. the id in {@code runs show ID}; no more may
   * follow.
   */
  String argument(int commandWords, String name, String usage) {
    if (words.size() <= commandWords) {
      throw CliException.usage("'" + command(commandWords) + "' needs " + name + ": " + usage);
    }
    noArgumentsAfter(commandWords + 1, usage);
    return words.get(commandWords);
  }

  /** Refuses stray words after the first {@code count}. */
  void noArgumentsAfter(int count, String usage) {
    if (words.size() > count) {
      throw CliException.usage("unexpected argument '" + words.get(count) + "'; usage: " + usage);
    }
  }

  Optional<String> value(String option) {
    List<String> given = values.get(option);
    return given == null ? Optional.empty() : Optional.of(given.get(0));
  }

  List<String> values(String option) {
    return values.getOrDefault(option, List.of());
  }

  boolean flag(String option) {
    return flags.contains(option);
  }

  private Set<String> given() {
    Set<String> given = new LinkedHashSet<>(values.keySet());
    given.addAll(flags);
    return given;
  }
}
