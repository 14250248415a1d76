/* reqid.h: the ids the front door puts on every answer: x-amzn-RequestId (a UUID in version-4
 * form whose last 12 hex digits are the request counter, so ids are unique within a run and
 * random across runs) and x-amz-id-2: base64 of 72 random bytes, 96 characters (kinesalite's recorded
 * connection tests decode AWS's to 64-80 bytes; kinesalite sends 72). */
#ifndef SIM_REQID_H
#define SIM_REQID_H

#include <stddef.h>
#include <stdint.h>

#define SIM_REQUEST_ID_LEN 37 /* 36 characters + NUL */
#define SIM_AMZ_ID2_LEN 97    /* 96 base64 characters + NUL */

void sim_request_id_make(uint64_t counter, char out[SIM_REQUEST_ID_LEN]);
void sim_amz_id2_make(char out[SIM_AMZ_ID2_LEN]);

#endif
