package org.opendsi.dsm.internal.jna;

import com.sun.jna.Structure;

/** struct dsm_attach_opts (dsm.h): JNA allocates and keeps the C strings while this object lives. */
@Structure.FieldOrder({"snid", "flags", "cgroup_root", "pin_dir", "bpf_object", "ifaces", "netns_path"})
public class AttachOpts extends Structure {
    public int snid;
    public int flags;
    public String cgroup_root;
    public String pin_dir;
    public String bpf_object;
    public String ifaces;
    public String netns_path;

    /** offsetof(struct dsm_attach_opts, name) as laid out by JNA. */
    public int offsetOf(String name) {
        return fieldOffset(name);
    }
}
