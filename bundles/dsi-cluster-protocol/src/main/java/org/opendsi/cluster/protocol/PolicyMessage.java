package org.opendsi.cluster.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.opendsi.policy.PolicyPatch;

/**
 * What travels on {@link ClusterTopics#POLICY}: a signed envelope with either the full DSP source
 * or a {@link PolicyPatch} against the version {@code baseVersion} the receiver acked.
 */
public record PolicyMessage(SignedPolicy envelope, byte[] full, PolicyPatch patch, long baseVersion) {

    public static PolicyMessage full(SignedPolicy envelope, byte[] xml) {
        return new PolicyMessage(envelope, xml.clone(), null, 0);
    }

    public static PolicyMessage patch(SignedPolicy envelope, PolicyPatch patch, long baseVersion) {
        return new PolicyMessage(envelope, null, patch, baseVersion);
    }

    public boolean isPatch() {
        return patch != null;
    }

    /**
     * Chooses what to send to a node that acked {@code baseVersion} whose source is {@code base}
     * (null when the Security Server no longer holds it): a patch when it is worth it, the full source otherwise.
     */
    public static PolicyMessage choose(SignedPolicy envelope, byte[] xml, long baseVersion, byte[] base) {
        if (base != null && baseVersion > 0 && baseVersion < envelope.version()) {
            PolicyPatch p = PolicyPatch.between(base, xml);
            if (p.worthIt(xml.length)) {
                return patch(envelope, p, baseVersion);
            }
        }
        return full(envelope, xml);
    }

    /** The full source, rebuilding it from {@code base} for a patch (throws IllegalArgumentException on mismatch). */
    public byte[] source(byte[] base) {
        if (patch == null) {
            return full.clone();
        }
        if (base == null) {
            throw new IllegalArgumentException("patch against version " + baseVersion + " but no base source is held");
        }
        return patch.apply(base);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.set("envelope", envelope.toJson());
        if (patch == null) {
            o.put("full", Json.b64(full));
        } else {
            ObjectNode p = o.putObject("patch");
            p.put("baseVersion", baseVersion);
            p.put("base", patch.baseSha256());
            p.put("keepHead", patch.keepHead());
            p.put("keepTail", patch.keepTail());
            p.put("middle", Json.b64(patch.middle()));
            p.put("result", patch.resultSha256());
        }
        return o;
    }

    public static PolicyMessage fromJson(JsonNode n) {
        SignedPolicy env = SignedPolicy.fromJson(n.get("envelope"));
        JsonNode p = n.get("patch");
        if (p != null && p.isObject()) {
            return patch(env, new PolicyPatch(Json.text(p, "base"), p.path("keepHead").asInt(),
                    p.path("keepTail").asInt(), Json.unb64(p, "middle"), Json.text(p, "result")),
                    p.path("baseVersion").asLong());
        }
        return full(env, Json.unb64(n, "full"));
    }
}
