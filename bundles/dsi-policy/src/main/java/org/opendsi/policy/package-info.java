/**
 * The DSP policy engine: {@link org.opendsi.policy.DspParser} (hardened XML + XSD + semantic
 * checks), {@link org.opendsi.policy.DspCompiler} (model to TABLE-FORMAT.md tables),
 * {@link org.opendsi.policy.CompiledPolicy} and {@link org.opendsi.policy.DecisionEngine}
 * (decisions), {@link org.opendsi.policy.PolicyCanonicalizer} (canonical form, SHA-256) and
 * {@link org.opendsi.policy.PolicyDiffer} (table diff).
 */
@org.osgi.annotation.versioning.Version("1.0.0")
package org.opendsi.policy;
