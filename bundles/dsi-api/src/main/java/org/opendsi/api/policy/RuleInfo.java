package org.opendsi.api.policy;

/** A rule of the current policy as the operator wrote it: id, source line, kind and a one-line text. */
public record RuleInfo(int id, int line, String kind, String text) {
}
