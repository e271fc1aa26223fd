// SPDX-License-Identifier: Apache-2.0
/*
 * dsm_load_table: parse a compiled policy table (dsi-api TABLE-FORMAT.md v1) and load it into the
 * inactive slot of the double-buffered policy maps, then flip the active generation.
 *
 * Atomicity: BPF programs read the generation, do all their lookups in slot (gen & 1), then read
 * the generation again and redo the decision if it changed (a seqlock). The writer only ever
 * modifies the inactive slot, so a decision whose generation did not change used exactly one
 * table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dsm_internal.h"

#define HDR_LEN 128
#define MAX_COUNT 4000000u

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }
static uint32_t raw32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; } /* network order kept */

static uint32_t map_capacity(int fd)
{
	struct bpf_map_info mi;
	__u32 l = sizeof(mi);
	memset(&mi, 0, sizeof(mi));
	if (bpf_obj_get_info_by_fd(fd, &mi, &l))
		return 0;
	return mi.max_entries;
}

/* delete every key of slot `slot` (slot field at key offset `soff`) */
static int clear_slot(int fd, size_t ksz, size_t soff, uint32_t slot)
{
	uint32_t cap = map_capacity(fd);
	uint8_t *keys = malloc((size_t)cap * ksz + ksz), *del = malloc((size_t)cap * ksz + ksz);
	uint8_t *cur = malloc(ksz), *next = malloc(ksz);
	uint32_t nk = 0, nd = 0;
	int r = 0, first = 1;

	if (!keys || !del || !cur || !next) {
		r = -ENOMEM;
		goto out;
	}
	/* collect keys (get_next_key over a map we are the only writer of) */
	while (nk < cap) {
		if (bpf_map_get_next_key(fd, first ? NULL : cur, next))
			break;
		first = 0;
		memcpy(keys + (size_t)nk * ksz, next, ksz);
		memcpy(cur, next, ksz);
		nk++;
	}
	for (uint32_t i = 0; i < nk; i++) {
		uint32_t s;
		memcpy(&s, keys + (size_t)i * ksz + soff, 4);
		if (s == slot)
			memcpy(del + (size_t)nd++ * ksz, keys + (size_t)i * ksz, ksz);
	}
	if (nd) {
		__u32 cnt = nd;
		DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
		if (bpf_map_delete_batch(fd, del, &cnt, &bo)) {
			for (uint32_t i = 0; i < nd; i++)
				bpf_map_delete_elem(fd, del + (size_t)i * ksz);
		}
	}
out:
	free(keys);
	free(del);
	free(cur);
	free(next);
	return r;
}

static int put_batch(int fd, const void *keys, const void *vals, size_t ksz, size_t vsz, uint32_t n,
		     const char *what)
{
	__u32 cnt = n;
	DECLARE_LIBBPF_OPTS(bpf_map_batch_opts, bo);
	if (!n)
		return 0;
	if (bpf_map_update_batch(fd, keys, vals, &cnt, &bo) == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const uint8_t *)keys + i * ksz, (const uint8_t *)vals + i * vsz,
					BPF_ANY))
			return dsm_set_err(errno, "load %s record %u: %s", what, i, strerror(errno));
	return 0;
}

int dsm_load_table(dsm_node *n, const void *table, size_t len)
{
	const uint8_t *t = table, *p;
	uint32_t cnt[6];
	static const uint32_t rsz[6] = { 8, 8, 48, 16, 16, 16 };
	static const char *const what[6] = { "context", "node", "access", "socket-label", "transition",
					     "net-rule" };
	static const int mapid[6] = { M_CTX, M_NODES, M_ACCESS, M_SOCKLABEL, M_TRANS, M_NETRULES };
	uint64_t total = HDR_LEN, gen;
	uint32_t slot, z = 0;
	struct dsm_hdr h;
	uint32_t local_labels = 0;   /* this node's socket labels (the port guard runs only with some) */
	void *k = NULL, *v = NULL, *k2 = NULL, *v2 = NULL;
	int r = 0;

	if (!n || !table)
		return dsm_set_err(EINVAL, "dsm_load_table: bad arguments");
	if (len < HDR_LEN)
		return dsm_set_err(EINVAL, "table: %zu bytes, shorter than the 128-byte header", len);
	if (memcmp(t, "DSIT", 4))
		return dsm_set_err(EINVAL, "table: bad magic");
	if (le16(t + 4) != 1)
		return dsm_set_err(EINVAL, "table: format version %u, expected 1", le16(t + 4));
	if (le16(t + 6) != HDR_LEN)
		return dsm_set_err(EINVAL, "table: header length %u, expected 128", le16(t + 6));
	for (int i = 0; i < 6; i++) {
		cnt[i] = le32(t + 56 + 4 * i);
		if (cnt[i] > MAX_COUNT)
			return dsm_set_err(EINVAL, "table: %u %s records exceed 4,000,000", cnt[i], what[i]);
		total += (uint64_t)cnt[i] * rsz[i];
		uint32_t cap = map_capacity(n->fd[mapid[i]]) / 2;
		if (cnt[i] > cap)
			return dsm_set_err(E2BIG, "table: %u %s records, this DSM holds at most %u", cnt[i],
					   what[i], cap);
	}
	if (total != len)
		return dsm_set_err(EINVAL, "table: length %zu, header announces %llu", len,
				   (unsigned long long)total);

	gen = dsm_active_gen(n);
	slot = (gen & 1) ^ 1; /* inactive half */

	/* 1. empty the inactive half */
	r = clear_slot(n->fd[M_CTX], sizeof(struct dsm_ctx_key), 0, slot);
	if (!r) r = clear_slot(n->fd[M_NODES], sizeof(struct dsm_node_key), 0, slot);
	if (!r) r = clear_slot(n->fd[M_NADDR], sizeof(struct dsm_naddr_key), 0, slot);
	if (!r) r = clear_slot(n->fd[M_ACCESS], sizeof(struct dsm_acc_key), 0, slot);
	if (!r) r = clear_slot(n->fd[M_SOCKLABEL], sizeof(struct dsm_sl_key), 0, slot);
	if (!r) r = clear_slot(n->fd[M_TRANS], sizeof(struct dsm_tr_key), 0, slot);
	if (!r) r = clear_slot(n->fd[M_NETRULES], sizeof(struct dsm_nr_key), 4, slot);
	if (!r) r = clear_slot(n->fd[M_LSL], sizeof(struct dsm_lsl_key), 0, slot);
	if (r)
		return dsm_set_err(r, "clear inactive table half: %s", strerror(-r));
	{
		struct dsm_hdr empty = { 0 };
		bpf_map_update_elem(n->fd[M_HDR], &slot, &empty, BPF_ANY);
	}

	/* 2. write the sections */
	p = t + HDR_LEN;
	for (int s = 0; s < 6; s++) {
		uint32_t c = cnt[s];
		size_t ksz = 0, vsz = 0;
		k = calloc(c + 1, 32);
		v = calloc(c + 1, 48);
		k2 = calloc(c + 1, 32);
		v2 = calloc(c + 1, 8);
		if (!k || !v || !k2 || !v2) {
			r = dsm_set_err(ENOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < c; i++, p += rsz[s]) {
			switch (s) {
			case 0: {
				struct dsm_ctx_key *kk = (struct dsm_ctx_key *)k + i;
				kk->slot = slot; kk->scid = le32(p);
				((uint32_t *)v)[i] = le32(p + 4);
				ksz = sizeof(*kk); vsz = 4;
				break;
			}
			case 1: {
				struct dsm_node_key *kk = (struct dsm_node_key *)k + i;
				struct dsm_naddr_key *ka = (struct dsm_naddr_key *)k2 + i;
				kk->slot = slot; kk->snid = le32(p);
				((uint32_t *)v)[i] = raw32(p + 4);
				ka->slot = slot; ka->addr = raw32(p + 4);
				((uint32_t *)v2)[i] = le32(p);
				ksz = sizeof(*kk); vsz = 4;
				break;
			}
			case 2: {
				struct dsm_acc_key *kk = (struct dsm_acc_key *)k + i;
				struct dsm_acc_val *vv = (struct dsm_acc_val *)v + i;
				kk->slot = slot; kk->src_scid = le32(p); kk->src_snid = le32(p + 4);
				kk->tgt_scid = le32(p + 8);
				vv->mask = le32(p + 12);
				for (int b = 0; b < 8; b++)
					vv->rules[b] = le32(p + 16 + 4 * b);
				ksz = sizeof(*kk); vsz = sizeof(*vv);
				break;
			}
			case 3: {
				struct dsm_sl_key *kk = (struct dsm_sl_key *)k + i;
				struct dsm_sl_val *vv = (struct dsm_sl_val *)v + i;
				kk->slot = slot; kk->proto = p[0]; kk->port = le16(p + 2); kk->snid = le32(p + 4);
				vv->scid = le32(p + 8); vv->rule = le32(p + 12);
				ksz = sizeof(*kk); vsz = sizeof(*vv);
				break;
			}
			case 4: {
				struct dsm_tr_key *kk = (struct dsm_tr_key *)k + i;
				struct dsm_tr_val *vv = (struct dsm_tr_val *)v + i;
				kk->slot = slot; kk->parent = le32(p); kk->bin = le32(p + 4);
				vv->new_scid = le32(p + 8); vv->rule = le32(p + 12);
				ksz = sizeof(*kk); vsz = sizeof(*vv);
				break;
			}
			case 5: {
				struct dsm_nr_key *kk = (struct dsm_nr_key *)k + i;
				struct dsm_nr_val *vv = (struct dsm_nr_val *)v + i;
				if (p[8] > 32) {
					r = dsm_set_err(EINVAL, "table: net rule %u has prefix length %u", i, p[8]);
					goto out;
				}
				kk->prefixlen = 64 + p[8]; kk->slot = slot; kk->scid = le32(p);
				kk->addr = raw32(p + 4);
				if (p[8] < 32) /* LPM keys must not carry host bits */
					kk->addr &= htobe32(p[8] ? ~((1u << (32 - p[8])) - 1) : 0);
				vv->action = p[9]; vv->mask = le16(p + 10); vv->rule = le32(p + 12);
				ksz = sizeof(*kk); vsz = sizeof(*vv);
				break;
			}
			}
		}
		if (c) {
			r = put_batch(n->fd[mapid[s]], k, v, ksz, vsz, c, what[s]);
			if (!r && s == 1)
				r = put_batch(n->fd[M_NADDR], k2, v2, sizeof(struct dsm_naddr_key), 4, c, "node address");
			if (!r && s == 3) {
				/* this node's effective socket labels: ANY records first, then records for
				 * this SnID override them */
				struct dsm_lsl_key *lk = k2;
				struct dsm_sl_val *lv = (struct dsm_sl_val *)v2;
				uint32_t m = 0;
				free(v2);
				v2 = calloc(c + 1, sizeof(struct dsm_sl_val));
				lv = v2;
				if (!v2) {
					r = dsm_set_err(ENOMEM, "out of memory");
					goto out;
				}
				/* records are sorted by (proto, port, snid): one pass, own SnID wins */
				for (uint32_t i = 0; i < c; i++) {
					struct dsm_sl_key *sk = (struct dsm_sl_key *)k + i;
					int same = m && lk[m - 1].proto == sk->proto && lk[m - 1].port == sk->port;
					if (sk->snid != n->snid && sk->snid != DSM_ANY)
						continue;
					if (same) {
						if (sk->snid == n->snid)
							lv[m - 1] = ((struct dsm_sl_val *)v)[i];
						continue;
					}
					memset(&lk[m], 0, sizeof(lk[m]));
					lk[m].slot = slot;
					lk[m].proto = sk->proto;
					lk[m].port = sk->port;
					lv[m++] = ((struct dsm_sl_val *)v)[i];
				}
				r = put_batch(n->fd[M_LSL], lk, lv, sizeof(*lk), sizeof(*lv), m, "local socket label");
				local_labels += m;
			}
			if (r)
				goto out;
		}
		free(k); free(v); free(k2); free(v2);
		k = v = k2 = v2 = NULL;
	}
	memset(&h, 0, sizeof(h));
	h.version = le64(t + 8);
	h.default_mask = le32(t + 48);
	h.external_mask = le32(t + 52);
	h.loaded = 1;
	h.local_labels = local_labels;
	if (bpf_map_update_elem(n->fd[M_HDR], &slot, &h, BPF_ANY)) {
		r = dsm_set_err(errno, "write table header: %s", strerror(errno));
		goto out;
	}

	/* 3. flip: one 8-byte write makes the new half active */
	gen++;
	if (bpf_map_update_elem(n->fd[M_ACTIVE], &z, &gen, BPF_ANY)) {
		r = dsm_set_err(errno, "flip active table: %s", strerror(errno));
		goto out;
	}
	dsm_ustate_add(n, offsetof(struct dsm_ustate, table_swaps), 1);
out:
	free(k); free(v); free(k2); free(v2);
	return r;
}
