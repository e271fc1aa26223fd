package org.opendsi.shell.cluster;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmUnavailableException;
import org.opendsi.sm.ManagerLabelKeys;
import org.opendsi.ss.LabelKeyStatus;
import org.opendsi.ss.SecurityServer;

/**
 * The label keys (authenticated labels): on the Security Server its epochs and what each node
 * acknowledged holding, and {@code rotate}; on a Security Manager the keys its kernel DSM holds. No
 * key material is ever shown.
 */
@Service
@Command(scope = "dsi", name = "label-keys", description = "Label keys: epochs and what each node holds (Security "
        + "Server), the keys this node's DSM holds (Security Manager); 'rotate' starts a rotation (Security Server)")
public class LabelKeysCommand extends ClusterCommandSupport {

    /** How long 'rotate' waits for a rotation under way to finish before its own starts. */
    static final long ROTATE_WAIT_SECONDS = 120;

    @Argument(index = 0, name = "action", description = "rotate: start a rotation (Security Server)", required = false)
    @Completion(value = StringsCompleter.class, values = {"rotate"})
    String action;

    @Reference(optional = true)
    Dsm dsm;

    @Override
    public Object execute() throws Exception {
        if (action != null && !action.equals("rotate")) {
            throw new IllegalArgumentException("unknown action '" + action + "' (the only action is rotate)");
        }
        if (action != null) {
            return rotate(requireServer("dsi:label-keys rotate"));
        }
        if (securityServer != null) {
            if (!securityServer.lease().active()) {
                out().println("This Security Server is a standby (active: " + securityServer.lease().describeHolder()
                        + "): the epochs as stored, and the Security Servers' own nodes as they reported them.");
            }
            printServer(securityServer.labelKeys());
        } else {
            printManager();
        }
        printKernel();
        return null;
    }

    private Object rotate(SecurityServer ss) throws Exception {
        boolean wasRotating = ss.labelKeys().rotating();
        int epoch;
        try {
            epoch = ss.rotateLabelKeys().get(ROTATE_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the rotation did not start within " + ROTATE_WAIT_SECONDS
                    + " s (it waits for the one under way); see dsi:label-keys");
        } catch (ExecutionException e) {
            throw new IllegalStateException("rotation failed: " + e.getCause().getMessage(), e.getCause());
        }
        out().println("Label key epoch " + epoch + " created and being handed out"
                + (wasRotating ? " (after the rotation that was under way)" : "") + ".");
        out().println("Labels switch to it once every connected node holds it; the previous epoch is dropped after "
                + "the grace period. Follow it with dsi:label-keys.");
        return null;
    }

    private void printServer(LabelKeyStatus s) {
        out().println("Send epoch: " + (s.sendEpoch() == 0 ? "none" : s.sendEpoch())
                + (s.rotating() ? "; rotation under way" : "") + (s.queued() ? "; another rotation queued" : "")
                + "; next scheduled rotation: " + (s.nextRotation() == null ? "none" : s.nextRotation()));
        ShellTable epochs = new ShellTable();
        epochs.column("Epoch").alignRight();
        epochs.column("Created");
        epochs.column("Send");
        epochs.column("State");
        for (LabelKeyStatus.Epoch e : s.epochs()) {
            epochs.addRow().addContent(e.epoch(), e.created(), e.send() ? "yes" : "no",
                    e.state().name().toLowerCase(java.util.Locale.ROOT));
        }
        print(epochs);
        ShellTable nodes = new ShellTable();
        nodes.column("SnID").alignRight();
        nodes.column("Connected");
        nodes.column("Acked send epoch");
        nodes.column("Epochs held");
        nodes.column("Acked at");
        nodes.column("Error");
        for (LabelKeyStatus.Node n : s.nodes()) {
            nodes.addRow().addContent(Integer.toUnsignedString(n.snid()), n.connected() ? "yes" : "no",
                    n.ackedSendEpoch() == 0 ? "-" : n.ackedSendEpoch(), epochs(n.epochs()),
                    n.ackedAt() == null ? "-" : n.ackedAt().toString(), n.error() == null ? "" : n.error());
        }
        print(nodes);
    }

    private void printManager() {
        if (securityManager != null) {
            ManagerLabelKeys m = securityManager.labelKeys();
            out().println("From the Security Server: " + (m.sendEpoch() == 0 ? "no label keys yet"
                    : "send epoch " + m.sendEpoch() + ", epochs " + epochs(m.epochs()) + ", peers "
                    + m.peers().stream().map(Integer::toUnsignedString).collect(Collectors.joining(","))
                    + ", received " + m.receivedAt() + (m.installed() ? ", in the kernel" : ""))
                    + (m.error() == null ? "" : "; " + m.error()));
        }
    }

    /** What this node's kernel DSM holds (the Security Server's own node holds keys too). */
    private void printKernel() {
        if (dsm == null) {
            out().println("No DSM on this node.");
            return;
        }
        Dsm.LabelKeyState k;
        try {
            k = dsm.labelKeys();
        } catch (DsmUnavailableException e) {
            out().println("DSM unavailable: " + e.reason());
            return;
        } catch (DsmException e) {
            out().println("Kernel DSM: " + e.getMessage());
            return;
        }
        out().println("Kernel DSM send epoch: " + (k.sendEpoch() == 0 ? "none" : k.sendEpoch()));
        ShellTable t = new ShellTable();
        t.column("Epoch").alignRight();
        t.column("Peer SnID").alignRight();
        for (Dsm.LabelKeyState.Held h : k.held()) {
            t.addRow().addContent(h.epoch(), Integer.toUnsignedString(h.peerSnid()));
        }
        print(t);
    }

    private static String epochs(List<Integer> epochs) {
        return epochs.isEmpty() ? "-" : epochs.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
