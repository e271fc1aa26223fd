package org.opendsi.shell.dsm;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.api.SecurityIds;
import org.opendsi.dsm.Dsm;
import org.opendsi.dsm.DsmUnavailableException;

/**
 * Shared plumbing of the DSM commands: the Dsm reference, table output, and the handling of an
 * unavailable DSM (the node runs in audit-only mode): read-only commands print
 * "DSM unavailable: reason", changing commands fail with it.
 */
public abstract class DsmCommandSupport implements Action {

    @Reference
    protected Dsm dsm;

    @Option(name = "--no-format", description = "Print tables without borders, for scripts")
    protected boolean noFormat;

    protected PrintStream out() {
        return System.out;
    }

    protected void print(ShellTable table) {
        table.print(out(), !noFormat);
    }

    protected static Path resolve(String file) {
        return Paths.get(file).toAbsolutePath().normalize();
    }

    protected static String id(int id) {
        return SecurityIds.format(id);
    }

    /** "DSM unavailable: reason" for read-only commands. */
    protected void printUnavailable(DsmUnavailableException e) {
        out().println("DSM unavailable: " + e.reason());
    }

    /** For commands that change something: fail so scripts (bin/client) see it. */
    protected static IllegalStateException failUnavailable(DsmUnavailableException e) {
        return new IllegalStateException("DSM unavailable: " + e.reason()
                + " (node runs in audit-only mode; nothing was changed)");
    }
}
