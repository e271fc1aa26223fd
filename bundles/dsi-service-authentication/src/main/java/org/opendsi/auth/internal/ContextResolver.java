package org.opendsi.auth.internal;

/** pid -> ScID (0: outside every context); throws with the reason when it cannot tell. */
@FunctionalInterface
interface ContextResolver {
    int contextOf(int pid);
}
