package org.opendsi.scc;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * A message as delivered to a handler.
 *
 * <p>The payload is a Jackson {@link JsonNode}: the SCC envelope is JSON, so structured payloads
 * (policy versions, alarms, acks) travel without a second encoding. Binary content (a signed
 * policy blob) is carried as a base64 text node: send {@code BinaryNode.valueOf(bytes)} and read it
 * with {@code payload.binaryValue()}.
 *
 * @param id            unique id chosen by the sender (UUID string)
 * @param topic         application topic, e.g. {@code policy.update} or {@code alarm}
 * @param priority      lane the message travelled on
 * @param correlationId id of the request this message answers, {@code null} for plain messages
 * @param payload       JSON payload, never {@code null} ({@code NullNode} when empty)
 * @param sentAt        sender's clock when the message was created
 */
public record SccMessage(String id, String topic, SccPriority priority, String correlationId,
                         JsonNode payload, Instant sentAt) {
    public SccMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(priority, "priority");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(sentAt, "sentAt");
    }
}
