package io.upshift.fork;

import io.upshift.run.FieldError;
import io.upshift.run.RunbookInputValidator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Repository;
import org.springframework.stereotype.Component;

/**
 * The start inputs of {@code fork-upgrade}: {@code repository} (a working copy's path or a URL to
 * clone), {@code releaseBranch}, {@code upstreamRemote} (a remote's name or URL), {@code
 * targetTag}, optional {@code rulesFile} (a relative path in the fork, default
 * fork/upgrade-rules.yaml) and {@code keepUpgradeBranch} (boolean).
 */
@Component
class ForkInputValidator implements RunbookInputValidator {

  static final String RUNBOOK = "fork-upgrade";

  /** A URL with a password in it: a secret that must not become a process variable. */
  private static final java.util.regex.Pattern CREDENTIALS =
      java.util.regex.Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*:[^/@]*@");

  @Override
  public String runbook() {
    return RUNBOOK;
  }

  @Override
  public List<FieldError> validate(Map<String, Object> variables) {
    List<FieldError> errors = new ArrayList<>();
    Map<String, Object> values = new java.util.HashMap<>(variables);
    values.putIfAbsent("rulesFile", ForkJob.DEFAULT_RULES);
    for (String name :
        List.of("repository", "releaseBranch", "upstreamRemote", "targetTag", "rulesFile")) {
      if (values.get(name) != null && !(values.get(name) instanceof String)) {
        errors.add(new FieldError(name, "must be a string"));
        values.put(name, "");
      }
    }
    Object keep = variables.get("keepUpgradeBranch");
    if (keep != null && !(keep instanceof Boolean)) {
      errors.add(new FieldError("keepUpgradeBranch", "must be true or false (--var-json)"));
    }
    Map<String, String> strings = new java.util.HashMap<>();
    values.forEach((k, v) -> strings.put(k, v instanceof String s ? s : ""));
    errors.addAll(check(strings));
    return errors;
  }

  static List<FieldError> check(Map<String, String> v) {
    List<FieldError> errors = new ArrayList<>();
    String repository = v.getOrDefault("repository", "");
    if (repository.isBlank()) {
      errors.add(new FieldError("repository", "is required: the fork's working copy or its URL"));
    } else if (repository.startsWith("-") || repository.length() > 1000) {
      errors.add(
          new FieldError(
              "repository", "must be a path or URL (no leading '-', at most 1000 characters)"));
    }
    for (String name : List.of("repository", "upstreamRemote")) {
      if (CREDENTIALS.matcher(v.getOrDefault(name, "")).find()) {
        errors.add(
            new FieldError(
                name,
                "must not carry credentials (user:password@ in a URL); configure them in git"));
      }
    }
    String branch = v.getOrDefault("releaseBranch", "");
    if (branch.isBlank()) {
      errors.add(new FieldError("releaseBranch", "is required, e.g. ojin-release"));
    } else if (!Repository.isValidRefName(Constants.R_HEADS + branch)) {
      errors.add(new FieldError("releaseBranch", "'" + branch + "' is not a valid branch name"));
    }
    String remote = v.getOrDefault("upstreamRemote", "");
    if (remote.isBlank()) {
      errors.add(
          new FieldError("upstreamRemote", "is required: the upstream remote's name or URL"));
    } else if (remote.startsWith("-")) {
      errors.add(new FieldError("upstreamRemote", "must not start with '-'"));
    }
    String tag = v.getOrDefault("targetTag", "");
    if (tag.isBlank()) {
      errors.add(
          new FieldError("targetTag", "is required: the upstream release tag, e.g. v0.10.5"));
    } else if (!Repository.isValidRefName(Constants.R_TAGS + tag) || tag.contains("/")) {
      errors.add(new FieldError("targetTag", "'" + tag + "' is not a valid tag name"));
    }
    String rules = v.getOrDefault("rulesFile", ForkJob.DEFAULT_RULES);
    if (rules.isBlank()
        || rules.startsWith("/")
        || rules.contains("\\")
        || List.of(rules.split("/")).contains("..")) {
      errors.add(
          new FieldError(
              "rulesFile",
              "must be a relative path inside the fork, e.g. " + ForkJob.DEFAULT_RULES));
    }
    return errors;
  }
}
