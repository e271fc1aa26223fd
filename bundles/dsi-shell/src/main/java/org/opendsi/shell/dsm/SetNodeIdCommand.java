package org.opendsi.shell.dsm;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.opendsi.api.SecurityIds;
import org.opendsi.dsm.DsmUnavailableException;

@Service
@Command(scope = "dsi", name = "set-node-id", description = "Change this node's security node ID (SnID): persisted"
        + " in org.opendsi.dsm and the kernel DSM re-attached with it")
public class SetNodeIdCommand extends DsmCommandSupport {

    @Argument(index = 0, name = "snid", description = "The new SnID (1..65534: the DSM's label carries 16 bits)", required = true)
    String snid;

    @Override
    public Object execute() {
        int target = SecurityIds.parse("SnID", snid);
        if (target == SecurityIds.UNLABELED) {
            throw new IllegalArgumentException("SnID 0 is reserved for unlabeled nodes");
        }
        if (Integer.compareUnsigned(target, SecurityIds.MAX_SNID) > 0) {
            throw new IllegalArgumentException("SnID " + snid + " is out of range 1.." + SecurityIds.MAX_SNID
                    + " (the kernel DSM's label carries 16-bit SnIDs)");
        }
        int previous = dsm.nodeId();
        try {
            dsm.setNodeId(target);
        } catch (DsmUnavailableException e) {
            throw failUnavailable(e);
        }
        out().println("Changing from SnID " + id(previous) + " to SnID " + id(target));
        return null;
    }
}
