package org.opendsi.ss;

import java.time.Instant;

/**
 * One journaled denial of a {@link DenialFlow}, as the reporting node's audit record has it.
 *
 * @param seq  the record's position in the reporting node's journal
 * @param text the record's sentence in the operator's terms
 */
public record DenialSample(Instant time, long seq, int pid, String comm, String protocol,
                           String srcAddr, int srcPort, String dstAddr, int dstPort, String text) {
}
