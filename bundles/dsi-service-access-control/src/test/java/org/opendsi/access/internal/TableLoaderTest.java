package org.opendsi.access.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.opendsi.api.table.CompiledTable;
import org.opendsi.policy.DspCompiler;

class TableLoaderTest {

    static final String ZONES = """
            <dsp xmlns="urn:opendsi:dsp:1" name="t">
              <default decision="deny" external="deny"/>
              <contexts>
                <context scid="2" name="shell"/>
                <context scid="10" name="phonemania"/>
                <context scid="20" name="ringbell"/>
              </contexts>
              <rules>
                <transition parent="2" binary="10" new="10"/>
              </rules>
            </dsp>
            """;

    static CompiledTable compile(String xml, long version) throws Exception {
        return DspCompiler.compile("t.xml", xml.getBytes(StandardCharsets.UTF_8)).withVersion(version).table();
    }

    @Test
    void everyContextOfThePolicyGetsItsCgroupThenTheTableIsLoaded() throws Exception {
        FakeDsm fake = new FakeDsm();
        TableLoader loader = new TableLoader();
        CompiledTable t = compile(ZONES, 3);
        assertEquals(Set.of(2, 10, 20), TableLoader.contextsOf(t));

        TableLoader.Result r = loader.apply(fake.dsm(), t);
        assertTrue(r.loaded(), r.problem());
        assertEquals("", r.problem());
        assertEquals(List.of("createContext 2", "createContext 10", "createContext 20", "loadTable 3"), fake.calls);
        assertEquals(3, loader.version());
        assertEquals(Set.of(2, 10, 20), loader.repository());

        // the same version again (e.g. the service restarted): contexts ensured, no needless table swap
        fake.calls.clear();
        loader.apply(fake.dsm(), t);
        assertEquals(List.of("createContext 2", "createContext 10", "createContext 20"), fake.calls);
    }

    @Test
    void aFailedLoadKeepsThePreviousTableAndSaysWhy() throws Exception {
        FakeDsm fake = new FakeDsm();
        TableLoader loader = new TableLoader();
        loader.apply(fake.dsm(), compile(ZONES, 1));
        fake.failLoad = new IllegalStateException("EINVAL");
        TableLoader.Result r = loader.apply(fake.dsm(), compile(ZONES, 2));
        assertFalse(r.loaded());
        assertTrue(r.problem().contains("previous table stays in force"), r.problem());
        assertEquals(1, fake.table.policyVersion());
    }

    @Test
    void theDecisionChangesWhenThePolicyChanges() throws Exception {
        String allow = ZONES.replace("decision=\"deny\"", "decision=\"allow\"");
        FakeDsm fake = new FakeDsm();
        TestPolicy policy = new TestPolicy();
        AccessControlComponent acs = new AccessControlComponent(policy.service(), fake.dsm());
        policy.apply(acs, allow, 1);
        assertTrue(acs.decide(10, 1, 20, org.opendsi.api.Permission.CONNECT).allowed());
        assertEquals(1, acs.tableVersion());
        policy.apply(acs, ZONES, 2);
        assertFalse(acs.decide(10, 1, 20, org.opendsi.api.Permission.CONNECT).allowed());
        assertEquals(2, acs.tableVersion());
        assertEquals(2, fake.table.policyVersion());
    }
}
