package org.opendsi.shell.cluster;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.ss.StoredAlarm;

@Service
@Command(scope = "dsi", name = "alarms", description = "List the alarms of every node, or acknowledge one (Security Server)")
public class AlarmsCommand extends ClusterCommandSupport {

    @Option(name = "--ack", description = "Acknowledge the alarm with this id (or a unique prefix of 8+ characters)")
    String ack;

    @Option(name = "--open", description = "Only alarms not acknowledged")
    boolean open;

    @Override
    public Object execute() {
        var ss = requireServer("dsi:alarms");
        if (ack != null) {
            if (!ss.ackAlarm(ack)) {
                throw new IllegalArgumentException("no alarm with id " + ack);
            }
            out().println("Alarm " + ack + " acknowledged");
            return null;
        }
        ShellTable t = new ShellTable();
        t.column("Id");
        t.column("Priority");
        t.column("SnID");
        t.column("Node");
        t.column("Time");
        t.column("Source");
        t.column("Text");
        t.column("Ack");
        for (StoredAlarm s : ss.alarms()) {
            if (open && s.acked()) {
                continue;
            }
            var a = s.alarm();
            t.addRow().addContent(a.id(), a.priority(), Integer.toUnsignedString(a.snid()), a.node(), a.time(), a.source(),
                    a.text(), s.acked() ? "acked " + s.ackedAt() : "open");
        }
        print(t);
        return null;
    }
}
