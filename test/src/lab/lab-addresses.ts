/**
 * The lab's fixed addresses, from the documentation ranges (RFC 5737, RFC 3849) so they can never
 * be real hosts. `infra/lab/lab.sh` builds the same topology by hand; keep the two in step.
 */
export const LAB_ADDRESSES = {
  client: { v4: '192.0.2.2', v6: '2001:db8:1::2' },
  router: {
    clientSide: { v4: '192.0.2.1', v6: '2001:db8:1::1' },
    serverSide: { v4: '203.0.113.1', v6: '2001:db8:5::1' },
  },
  server: { v4: '203.0.113.10', v6: '2001:db8:5::10' },
} as const;

/** The shape of {@link LAB_ADDRESSES}. */
export type LabAddresses = typeof LAB_ADDRESSES;

/** Prefix lengths of both links. */
export const LAB_PREFIX = { v4: 24, v6: 64 } as const;
