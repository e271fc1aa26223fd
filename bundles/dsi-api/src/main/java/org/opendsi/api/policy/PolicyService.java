package org.opendsi.api.policy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.opendsi.api.Decision;
import org.opendsi.api.Permission;
import org.opendsi.api.table.CompiledTable;

/**
 * The node's policy: validates DSP files, keeps the current compiled policy and its history, and
 * answers decisions. A rejected policy never replaces the current one.
 */
public interface PolicyService {

    /** Validates a DSP file without applying it. Never throws for policy errors: they are in the result. */
    PolicyCheck check(Path file);

    /** Validates, compiles, versions, persists and makes the policy current. */
    PolicyVersion update(Path file) throws PolicyException;

    /** Like {@link #update(Path)} for a source that is not a file (e.g. the SS amending the policy). */
    PolicyVersion updateSource(String source, byte[] dspXml) throws PolicyException;

    /**
     * Applies a policy whose version was assigned elsewhere (a Security Manager applying what the
     * Security Server signed). Refused unless version is newer than the current one, so an old
     * policy replayed by anyone is never applied.
     */
    PolicyVersion applyVersion(String source, byte[] dspXml, long version) throws PolicyException;

    /** The DSP source (XML bytes) of the current policy, empty when none is loaded. */
    Optional<byte[]> currentSource();

    /** The current policy version, empty when none was ever loaded (then everything is denied). */
    Optional<PolicyVersion> current();

    /** Rules of the current policy in source order. */
    List<RuleInfo> rules();

    /** The compiled tables of the current policy. */
    Optional<CompiledTable> currentTable();

    /** What would change if the file replaced the current policy. */
    List<PolicyChange> diff(Path file) throws PolicyException;

    /** Every version kept on this node, oldest first. */
    List<PolicyVersion> history();

    /**
     * The DSP source (XML bytes) of a version kept in the history, empty when that version is not
     * (or no longer) kept or cannot be read.
     */
    Optional<byte[]> source(long version);

    /** Makes an earlier version current again, under a new version number. */
    PolicyVersion rollback(long version) throws PolicyException;

    /** Decides with the current policy; with no policy loaded, denies with rule 0. */
    Decision decide(int subjectScid, int subjectSnid, int targetScid, Permission permission);
}
