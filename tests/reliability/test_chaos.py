"""A seeded chaos run: several registers sell and redeem at random while the network
drops, duplicates, delays and replays their requests and HQ is killed and restarted;
then every register drains and a reconciliation checks every invariant.

`make test` runs a small seed set; `make chaos SEEDS="1 2 3 …" OPS=…` runs long. A
failing seed replays exactly: the faults, the sales and the kill points all come from it
(the only randomness left is thread timing inside HQ).
"""

from __future__ import annotations

import os
import random

import pytest

from tests.reliability.harness import MEMBERS, Register, new_hq_db, reconcile, register_token
from tests.support.faulty import Faults, FaultyTransport
from tests.support.hq_process import HqProcess
from tests.support.postgres import free_port

SEEDS = [int(s) for s in os.environ.get("TAMARU_CHAOS_SEEDS", "11 12").split()]
OPS_PER_REGISTER = int(os.environ.get("TAMARU_CHAOS_OPS", "120"))
REGISTERS = 3


@pytest.mark.integration
@pytest.mark.parametrize("seed", SEEDS)
def test_chaos(seed, postgres_cluster, tmp_path):
    rng = random.Random(seed)
    db_url = new_hq_db(postgres_cluster, f"chaos{seed}")
    hq = HqProcess(db_url, log_dir=tmp_path, port=free_port()).start()
    registers: list[Register] = []
    transports: list[FaultyTransport] = []
    try:
        for i in range(REGISTERS):
            t = FaultyTransport(seed=seed * 100 + i, faults=Faults(
                drop_request=0.1, drop_response=0.1, duplicate=0.1, replay_later=0.1,
                server_error=0.05, delay_s=0.02))
            transports.append(t)
            reg = Register(tmp_path / f"R{i}.db", f"R{i:02d}", hq.url,
                           register_token(db_url, f"R{i:02d}"), transport=t)
            reg.sync_until_drained()
            registers.append(reg)
        kills = sorted(rng.sample(range(OPS_PER_REGISTER * REGISTERS), 2))
        step = 0
        for _ in range(OPS_PER_REGISTER):
            for reg in registers:
                member = rng.choice(MEMBERS)
                balance = reg.store.member(member).balance
                redeem = rng.choice([0, 0, 0, min(balance, rng.randint(1, 300))])
                amount = rng.randint(max(1, redeem), 20_000)
                reg.sell(member, amount, redeem)
                if rng.random() < 0.2:
                    try:
                        reg.client.sync_once()
                    except Exception:
                        pass  # faults are the point; the queue keeps the ops
                if kills and step == kills[0]:
                    kills.pop(0)
                    hq.kill()
                    hq.start()
                step += 1
        for t in transports:
            t.faults = Faults()  # the network heals; everything must now drain
        for reg in registers:
            reg.sync_until_drained()
        made = [op for reg in registers for op in reg.made]
        result = reconcile(db_url, made)
        faults = sum((t.counts for t in transports), start=type(transports[0].counts)())
        duplicates_absorbed = sum(reg.store.outbox_counts().get("duplicate", 0)
                                  for reg in registers)
        print(f"\nchaos seed {seed}: {result.summary()}, duplicates absorbed "
              f"{duplicates_absorbed}, faults injected {dict(faults)}")
        assert result.lost == 0
        assert result.double_applied == 0
        assert result.members_off == []
        assert result.order_violations == 0
        assert result.applied + sum(result.rejected.values()) == result.made
        assert set(result.rejected) <= {"insufficient_balance"}
        # the registers agree with HQ once nothing is pending
        for reg in registers:
            reg.client.pull_once()
        for member in MEMBERS:
            balances = {reg.store.member(member).balance for reg in registers}
            assert len(balances) == 1
    finally:
        for reg in registers:
            reg.close()
        hq.kill()
