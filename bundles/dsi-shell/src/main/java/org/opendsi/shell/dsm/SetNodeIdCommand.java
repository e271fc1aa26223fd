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

    @Argument(index = 0, name = "snid", description = "The new SnID (1..4294967294)", required = true)
    String snid;

    @Override
    public Object execute() {
        int target = SecurityIds.parse("SnID", snid);
        if (target == SecurityIds.UNLABELED) {
            throw new IllegalArgumentException("SnID 0 is reserved for unlabeled nodes");
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
