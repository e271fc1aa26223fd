package org.opendsi.scc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.CompletionStage;

/**
 * Answers requests of one topic. Called on the I/O thread: return quickly, with a completed stage
 * or one completed later by your own executor. An exceptional completion is sent back as an error
 * and fails the requester's future with {@link SccException} code {@link SccException#REMOTE}.
 */
@FunctionalInterface
public interface SccRequestHandler {
    CompletionStage<JsonNode> onRequest(SccPeer from, SccMessage request);
}
