/* gwd decode [--key HEX] [--keys FILE] HEX...|- : one JSON object per telegram. */
#ifndef DECODE_CMD_H
#define DECODE_CMD_H
int decode_cmd_main(int argc, char **argv);
#endif
