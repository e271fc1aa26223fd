package org.opendsi.shell.cluster;

import java.util.List;
import java.util.Locale;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.opendsi.api.alarm.Alarm;
import org.opendsi.api.alarm.AlarmPriority;
import org.opendsi.api.alarm.AlarmService;

@Service
@Command(scope = "dsi", name = "alarm-raise", description = "Raise an operator alarm (stored on the Security Server, queued on a Security Manager)")
public class AlarmRaiseCommand implements Action {

    @Reference(optional = true)
    AlarmService alarmService;

    @Option(name = "--priority", aliases = "-p", description = "CRITICAL, HIGH, MEDIUM or LOW (default MEDIUM)")
    String priority = "MEDIUM";

    @Argument(index = 0, name = "text", description = "What happened", required = true, multiValued = true)
    List<String> text;

    @Override
    public Object execute() {
        if (alarmService == null) {
            throw new IllegalStateException("no alarm service on this node: neither the Security Server nor the "
                    + "Security Manager runs (see etc/org.opendsi.node.cfg and the log)");
        }
        AlarmPriority p;
        try {
            p = AlarmPriority.valueOf(priority.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("priority must be CRITICAL, HIGH, MEDIUM or LOW, not " + priority);
        }
        Alarm a = alarmService.raise(p, "operator", String.join(" ", text));
        System.out.println("Alarm " + a.id() + " raised (" + p + ")");
        return null;
    }
}
