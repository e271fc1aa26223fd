package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opendsi.dsm.DsmProcess;

class ProcessListerTest {

    @TempDir
    Path tmp;

    private void proc(Path procRoot, int pid, String comm, String cmdlineWithNuls) throws Exception {
        Path d = Files.createDirectories(procRoot.resolve(Integer.toString(pid)));
        Files.writeString(d.resolve("comm"), comm + "\n");
        Files.writeString(d.resolve("cmdline"), cmdlineWithNuls);
    }

    @Test
    void walksContextCgroupsAndProc() throws Exception {
        Path cg = tmp.resolve("cg");
        Path procRoot = tmp.resolve("proc");
        Files.createDirectories(cg.resolve("scid-20"));
        Files.createDirectories(cg.resolve("scid-10/worker"));
        Files.createDirectories(cg.resolve("not-a-context"));
        Files.writeString(cg.resolve("cgroup.procs"), "1\n");
        Files.writeString(cg.resolve("not-a-context/cgroup.procs"), "2\n");
        Files.writeString(cg.resolve("scid-10/cgroup.procs"), "300\n100\n");
        Files.writeString(cg.resolve("scid-10/worker/cgroup.procs"), "200\n");
        Files.writeString(cg.resolve("scid-20/cgroup.procs"), "400\n999\n"); // 999 has exited
        proc(procRoot, 100, "ringbell", "/opt/rb/ringbell\0--port\0" + "5000\0");
        proc(procRoot, 200, "worker", "worker\0");
        proc(procRoot, 300, "kthread", "");
        proc(procRoot, 400, "phonemania", "/opt/pm/phonemania\0");
        List<DsmProcess> l = new ProcessLister(cg, procRoot).list();
        assertEquals(List.of(
                new DsmProcess(100, 10, "ringbell", "/opt/rb/ringbell --port 5000"),
                new DsmProcess(200, 10, "worker", "worker"),
                new DsmProcess(300, 10, "kthread", ""),
                new DsmProcess(400, 20, "phonemania", "/opt/pm/phonemania")), l);
    }

    @Test
    void missingRootIsEmpty() throws Exception {
        assertEquals(List.of(), new ProcessLister(tmp.resolve("absent"), tmp).list());
    }

    @Test
    void contextDirectoryNames() {
        assertEquals(10, ProcessLister.scidOf("scid-10"));
        assertEquals(4294967294L, ProcessLister.scidOf("scid-4294967294"));
        assertEquals(-1, ProcessLister.scidOf("scid-99999999999"));
        assertEquals(-1, ProcessLister.scidOf("scid-"));
        assertEquals(-1, ProcessLister.scidOf("node-1"));
    }
}
