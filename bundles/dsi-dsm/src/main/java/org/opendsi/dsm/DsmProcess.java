package org.opendsi.dsm;

/**
 * A process inside one of the node's security contexts.
 *
 * @param pid     process id
 * @param scid    its security context
 * @param comm    command name (/proc/PID/comm)
 * @param cmdline command line (/proc/PID/cmdline, arguments separated by spaces; empty for kernel threads)
 */
public record DsmProcess(int pid, int scid, String comm, String cmdline) {
}
