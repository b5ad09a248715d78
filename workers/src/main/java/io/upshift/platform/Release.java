package io.upshift.platform;

/** A release of a platform: a version tag in its repository and the commit it points at. */
public record Release(Version version, String tag, String commit) {}
