package org.opendsi.shell.dsm;

import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.dsm.DsmCapability;
import org.opendsi.dsm.DsmCounters;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmStatus;

@Service
@Command(scope = "dsi", name = "dsm", description = "Show the kernel DSM of this node: availability (or why it is"
        + " unavailable), SnID, attached programs and pins, table version and counters")
public class DsmStatusCommand extends DsmCommandSupport {

    @Option(name = "--detach", description = "Stop kernel enforcement on this node: detach the programs, remove the"
            + " pins and the empty context cgroups (enforcement otherwise outlives Karaf)")
    boolean detach;

    @Override
    public Object execute() {
        if (detach) {
            dsm.detach();
            out().println("DSM detached: nothing is enforced in the kernel on this node until it attaches again"
                    + " (restart the dsi-dsm bundle or change org.opendsi.dsm)");
            return null;
        }
        DsmStatus s = dsm.status();
        ShellTable t = new ShellTable();
        t.column("Property");
        t.column("Value");
        t.addRow().addContent("status", s.available() ? "available" : "unavailable");
        if (!s.available()) {
            t.addRow().addContent("reason", s.reason());
        }
        t.addRow().addContent("mode", s.mode());
        t.addRow().addContent("SnID", id(s.snid()));
        t.addRow().addContent("cgroup root", s.cgroupRoot());
        t.addRow().addContent("pin dir", s.pinDir());
        t.addRow().addContent("interfaces", s.interfaces().isEmpty() ? "(none)" : s.interfaces());
        t.addRow().addContent("netns", s.netns().isEmpty() ? "(own)" : s.netns());
        t.addRow().addContent("library", s.libraryPath().isEmpty() ? "-" : s.libraryPath());
        t.addRow().addContent("bpf object", s.bpfObject().isEmpty() ? "-" : s.bpfObject());
        if (s.capabilities() != 0 || !s.probeReport().isEmpty()) {
            List<DsmCapability> have = DsmCapability.fromMask(s.capabilities());
            List<DsmCapability> missing = DsmCapability.fromMask(~s.capabilities());
            t.addRow().addContent("capabilities", have.toString());
            if (!missing.isEmpty()) {
                t.addRow().addContent("missing", missing + (s.probeReport().isBlank() ? ""
                        : " (" + s.probeReport().strip().replace('\n', ' ') + ")"));
            }
        }
        t.addRow().addContent("table version", s.tableVersion() == 0 ? "none" : Long.toString(s.tableVersion()));
        if (!s.lastTableError().isEmpty()) {
            t.addRow().addContent("last table error", s.lastTableError());
        }
        print(t);
        if (!s.available()) {
            out().println("DSM unavailable: " + s.reason());
            return null;
        }
        try {
            List<String> lines = dsm.describe();
            ShellTable p = new ShellTable();
            p.column("Attached programs and pins");
            for (String l : lines) {
                p.addRow().addContent(l);
            }
            print(p);
        } catch (DsmException e) {
            out().println("programs and pins: " + e.getMessage());
        }
        try {
            DsmCounters c = dsm.counters();
            ShellTable ct = new ShellTable();
            ct.column("Counter");
            ct.column("Value").alignRight();
            for (Map.Entry<String, Long> e : c.asMap().entrySet()) {
                ct.addRow().addContent(e.getKey(), Long.toUnsignedString(e.getValue()));
            }
            print(ct);
        } catch (DsmException e) {
            out().println("counters: " + e.getMessage());
        }
        return null;
    }
}
