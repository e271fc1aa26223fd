package org.opendsi.shell.dsm;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.opendsi.api.SecurityIds;
import org.opendsi.api.audit.AuditRecord;
import org.opendsi.api.audit.AuditService;
import org.opendsi.api.audit.ServiceAuditEvent;
import org.opendsi.dsm.DsmUnavailableException;

/** DSI's SetSID: label a binary with the security context its processes get on exec. */
@Service
@Command(scope = "dsi", name = "set-sid", description = "Label a binary with a security context ID (SetSID):"
        + " stored in its trusted.dsi.scid attribute; ScID 0 removes the label")
public class SetSidCommand extends DsmCommandSupport {

    @Argument(index = 0, name = "path", description = "The binary to label", required = true)
    @Completion(FileCompleter.class)
    String path;

    @Argument(index = 1, name = "scid", description = "The security context ID (0 removes the label)", required = true)
    String scid;

    /** A label change is a security-relevant operator action: journaled when auditing runs. */
    @Reference(optional = true)
    AuditService audit;

    @Override
    public Object execute() {
        Path p = resolve(path);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(p + " is not a regular file");
        }
        int target = SecurityIds.parse("ScID", scid);
        try {
            int previous = dsm.labelBinary(p, target);
            out().println("Changing from SID " + id(previous) + " to SID " + id(target));
            if (previous != target) {
                journal(p, previous, target);
            }
        } catch (DsmUnavailableException e) {
            throw failUnavailable(e);
        }
        return null;
    }

    private void journal(Path p, int previous, int target) {
        AuditService a = audit;
        if (a == null) {
            out().println("(not journaled: the auditing service is not running)");
            return;
        }
        a.record(new ServiceAuditEvent(java.time.Instant.now(), "dsi:set-sid", AuditRecord.TYPE_LABEL, target, 0,
                p.toString(), target == 0 ? "Operator removed the label of " + p + " (dsi:set-sid; was context "
                        + id(previous) + ")" : "Operator labeled " + p + " with context " + id(target)
                        + " (dsi:set-sid; was " + id(previous) + ")"));
    }
}
