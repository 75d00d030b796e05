/** TCP header flag bits (RFC 9293 3.1). */
export const TcpFlag = {
  fin: 0x01,
  syn: 0x02,
  rst: 0x04,
  psh: 0x08,
  ack: 0x10,
  urg: 0x20,
  ece: 0x40,
  cwr: 0x80,
} as const;
export type TcpFlag = (typeof TcpFlag)[keyof typeof TcpFlag];
