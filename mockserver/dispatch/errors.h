/* errors.h: the one list of Kinesis (and common AWS) error names with their HTTP status and
 * whether a client should retry them. Expanded wherever a table is needed (simulator answers,
 * fault rules, metrics) so names and statuses cannot drift. Same idea as libuv's UV_ERRNO_MAP. */
#ifndef SIM_ERRORS_H
#define SIM_ERRORS_H

/* X(name, http_status, retryable) */
#define SIM_ERROR_LIST(X)                                  \
    X(AccessDeniedException, 400, 0)                       \
    X(ExpiredIteratorException, 400, 0)                    \
    X(ExpiredNextTokenException, 400, 0)                   \
    X(InternalFailureException, 500, 1)                    \
    X(InvalidArgumentException, 400, 0)                    \
    X(KMSAccessDeniedException, 400, 0)                    \
    X(KMSDisabledException, 400, 0)                        \
    X(KMSInvalidStateException, 400, 0)                    \
    X(KMSNotFoundException, 400, 0)                        \
    X(KMSOptInRequired, 400, 0)                            \
    X(KMSThrottlingException, 400, 1)                      \
    X(LimitExceededException, 400, 1)                      \
    X(ProvisionedThroughputExceededException, 400, 1)      \
    X(ResourceInUseException, 400, 0)                      \
    X(ResourceNotFoundException, 400, 0)                   \
    X(ValidationException, 400, 0)                         \
    X(SerializationException, 400, 0)                      \
    X(UnknownOperationException, 400, 0)                   \
    X(MissingAuthenticationTokenException, 400, 0)         \
    X(IncompleteSignatureException, 400, 0)                \
    X(InvalidSignatureException, 400, 0)                   \
    X(UnrecognizedClientException, 400, 0)                 \
    X(InvalidClientTokenId, 403, 0)                        \
    X(RequestExpired, 400, 0)                              \
    X(ThrottlingException, 400, 1)                         \
    X(InternalFailure, 500, 1)                             \
    X(ServiceUnavailable, 503, 1)                          \
    X(RequestEntityTooLarge, 413, 0)

typedef enum {
#define SIM_ERR_ENUM(name, status, retry) SIM_ERR_##name,
    SIM_ERROR_LIST(SIM_ERR_ENUM)
#undef SIM_ERR_ENUM
    SIM_ERR__COUNT
} sim_error_code;

/* Name as sent in `__type`, HTTP status; -1 / NULL when unknown. */
const char *sim_error_name(sim_error_code code);
int sim_error_status(sim_error_code code);
int sim_error_retryable(sim_error_code code);
/* Look an error up by its wire name (e.g. from a fault rule); returns -1 when unknown. */
int sim_error_from_name(const char *name);

#endif
