package org.opendsi.dsm;

/**
 * What the DSM of this node is doing.
 *
 * @param available      true when the kernel part is attached and enforcing
 * @param reason         why it is unavailable (empty when available)
 * @param snid           this node's SnID
 * @param capabilities   DSM_CAP_* bits found by dsm_probe (0 when libdsm could not be loaded)
 * @param probeReport    dsm_probe's explanation of every missing facility (may be empty)
 * @param cgroupRoot     the node's DSI cgroup subtree
 * @param pinDir         the bpffs directory holding this node's pins
 * @param interfaces     interfaces whose egress traffic is labeled (may be empty)
 * @param netns          network namespace of those interfaces (empty = Karaf's own)
 * @param libraryPath    the libdsm.so in use (empty when none)
 * @param bpfObject      the dsm.bpf.o in use (empty when none)
 * @param tableVersion   version of the policy table in force, 0 = none
 * @param lastTableError the failure of the last table load (empty when it succeeded)
 */
public record DsmStatus(boolean available, String reason, int snid, int capabilities, String probeReport,
                        String cgroupRoot, String pinDir, String interfaces, String netns, String libraryPath,
                        String bpfObject, long tableVersion, String lastTableError) {

    /** "enforcing" or "audit-only". */
    public String mode() {
        return available ? "enforcing" : "audit-only";
    }

    /** One line: "available, enforcing" or "unavailable: &lt;reason&gt; (node runs in audit-only mode)". */
    public String summary() {
        return available ? "available, enforcing"
                : "unavailable: " + reason + " (node runs in audit-only mode: nothing is enforced in the kernel)";
    }

    @Override
    public String toString() {
        return summary();
    }
}
