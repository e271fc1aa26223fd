package org.opendsi.shell.dsm;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.SecurityIds;
import org.opendsi.dsm.DsmProcess;
import org.opendsi.dsm.DsmUnavailableException;

@Service
@Command(scope = "dsi", name = "ps", description = "List the processes in this node's security contexts"
        + " (pid, ScID, command)")
public class PsCommand extends DsmCommandSupport {

    @Option(name = "-s", aliases = "--scid", description = "Only processes of this security context")
    String scid;

    @Override
    public Object execute() {
        Integer only = scid == null ? null : SecurityIds.parse("ScID", scid);
        List<DsmProcess> procs;
        try {
            procs = dsm.processes();
        } catch (DsmUnavailableException e) {
            printUnavailable(e);
            return null;
        }
        ShellTable t = new ShellTable();
        t.column("PID").alignRight();
        t.column("ScID").alignRight();
        t.column("Command");
        for (DsmProcess p : procs) {
            if (only != null && p.scid() != only) {
                continue;
            }
            t.addRow().addContent(p.pid(), id(p.scid()), p.cmdline().isEmpty() ? "[" + p.comm() + "]" : p.cmdline());
        }
        print(t);
        return null;
    }
}
