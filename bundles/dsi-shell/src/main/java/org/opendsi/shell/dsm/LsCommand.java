package org.opendsi.shell.dsm;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.opendsi.dsm.DsmException;
import org.opendsi.dsm.DsmUnavailableException;

/** DSI's ls_dsi: mode, owner and security context ID of the files of a directory. */
@Service
@Command(scope = "dsi", name = "ls", description = "List files with their mode, owner and security context ID"
        + " (binary label, 0 = unlabeled)")
public class LsCommand extends DsmCommandSupport {

    @Argument(index = 0, name = "path", description = "A directory (or a file); default: the current directory")
    @Completion(FileCompleter.class)
    String path = ".";

    @Option(name = "-a", aliases = "--all", description = "Include entries starting with '.'")
    boolean all;

    @Override
    public Object execute() throws IOException {
        Path p = resolve(path);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(p + " does not exist");
        }
        List<Path> entries = new ArrayList<>();
        if (Files.isDirectory(p)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path e : ds) {
                    if (all || !e.getFileName().toString().startsWith(".")) {
                        entries.add(e);
                    }
                }
            }
            entries.sort(null);
        } else {
            entries.add(p);
        }
        String unavailable = null;
        ShellTable t = new ShellTable();
        t.column("Mode");
        t.column("Owner");
        t.column("ScID").alignRight();
        t.column("Name");
        for (Path e : entries) {
            String mode = "?";
            String owner = "?";
            boolean regular = false;
            try {
                PosixFileAttributes a = Files.readAttributes(e, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                char type = a.isDirectory() ? 'd' : a.isSymbolicLink() ? 'l' : a.isRegularFile() ? '-' : a.isOther() ? 's' : '?';
                mode = type + PosixFilePermissions.toString(a.permissions());
                owner = a.owner().getName();
                regular = a.isRegularFile();
            } catch (IOException | UnsupportedOperationException ex) {
                // keep "?"
            }
            String scid = "-";
            if (regular) {
                if (unavailable != null) {
                    scid = "?";
                } else {
                    try {
                        scid = id(dsm.readLabel(e));
                    } catch (DsmUnavailableException ex) {
                        unavailable = ex.reason();
                        scid = "?";
                    } catch (DsmException ex) {
                        scid = "? (" + ex.getMessage() + ")";
                    }
                }
            }
            String name = e.getFileName() == null ? e.toString() : e.getFileName().toString();
            if (Files.isSymbolicLink(e)) {
                try {
                    name += " -> " + Files.readSymbolicLink(e);
                } catch (IOException ex) {
                    // keep the name
                }
            }
            t.addRow().addContent(mode, owner, scid, name);
        }
        if (unavailable != null) {
            out().println("DSM unavailable: " + unavailable + " (labels cannot be read; shown as ?)");
        }
        print(t);
        return null;
    }
}
