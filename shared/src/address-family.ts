/** IP version of a probe target, as the lab and the wire formats spell it. */
export const AddressFamily = {
  v4: 'v4',
  v6: 'v6',
} as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];
