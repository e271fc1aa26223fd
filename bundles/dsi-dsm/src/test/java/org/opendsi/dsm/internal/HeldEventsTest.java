package org.opendsi.dsm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.opendsi.dsm.DsmEvent;
import org.opendsi.dsm.DsmEventListener;

/** Events that arrive while no listener is registered (a hot swap of auditing) reach the next one. */
class HeldEventsTest {

    private static DsmEvent event(int i) {
        return new DsmEvent(i, 1, 1, 4, 10, 1, 20, 2, 7, 0, 0, 0, 1000 + i, 9001, 17, 0, "x", "");
    }

    @Test
    void eventsWithoutAListenerAreHeldAndHandedToTheNextInOrder() {
        DsmComponent c = new DsmComponent();
        List<DsmEvent> first = new ArrayList<>();
        DsmEventListener a = first::add;
        c.addListener(a);
        c.deliver(event(1));
        c.removeListener(a);
        c.deliver(event(2));
        c.deliver(event(3));
        List<DsmEvent> second = new ArrayList<>();
        c.addListener(second::add);
        c.deliver(event(4));
        assertEquals(List.of(event(1)), first);
        assertEquals(List.of(event(2), event(3), event(4)), second);
    }

    @Test
    void theHoldIsBoundedAndKeepsTheNewest() {
        DsmComponent c = new DsmComponent();
        for (int i = 0; i < DsmComponent.HELD_MAX + 5; i++) {
            c.deliver(event(i));
        }
        List<DsmEvent> got = new ArrayList<>();
        c.addListener(got::add);
        assertEquals(DsmComponent.HELD_MAX, got.size());
        assertEquals(event(5), got.get(0));
    }
}
