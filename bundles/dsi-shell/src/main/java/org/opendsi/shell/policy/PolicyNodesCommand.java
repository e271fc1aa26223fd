package org.opendsi.shell.policy;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.table.CompiledTable;

/** The compiled node table: the SnIDs whose labels this node accepts, and from which address. */
@Service
@Command(scope = "dsi", name = "policy-nodes", description = "List the compiled node table (nodes declared compromised are absent: their labels are refused)")
public class PolicyNodesCommand extends PolicyCommandSupport {

    @Override
    public Object execute() {
        var table = policyService.currentTable();
        if (table.isEmpty()) {
            out().println("No policy loaded.");
            return null;
        }
        ShellTable t = new ShellTable();
        t.column("SnID");
        t.column("Address");
        for (CompiledTable.Node n : table.get().nodes()) {
            byte[] a = n.ipv4();
            t.addRow().addContent(Integer.toUnsignedString(n.snid()),
                    (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff));
        }
        print(t);
        return null;
    }
}
