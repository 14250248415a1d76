/* shared/errors.h: the one list of Kinesis (and common AWS) error names with their HTTP status and
 * whether a client should retry them. The simulator expands it into its error codes and answers
 * (mockserver/dispatch/errors.h); the client into its retry rule (client/src/retry.c), so the
 * two sides cannot drift. Same idea as libuv's UV_ERRNO_MAP. */
#ifndef KINESIS_SHARED_ERRORS_H
#define KINESIS_SHARED_ERRORS_H

/* X(name, http_status, retryable) */
#define KINESIS_ERROR_LIST(X)                                                                                \
    X(AccessDeniedException, 400, 0)                                                                         \
    X(ExpiredIteratorException, 400, 0)                                                                      \
    X(ExpiredNextTokenException, 400, 0)                                                                     \
    X(InternalFailureException, 500, 1)                                                                      \
    X(InvalidArgumentException, 400, 0)                                                                      \
    X(KMSAccessDeniedException, 400, 0)                                                                      \
    X(KMSDisabledException, 400, 0)                                                                          \
    X(KMSInvalidStateException, 400, 0)                                                                      \
    X(KMSNotFoundException, 400, 0)                                                                          \
    X(KMSOptInRequired, 400, 0)                                                                              \
    X(KMSThrottlingException, 400, 1)                                                                        \
    X(LimitExceededException, 400, 1)                                                                        \
    X(ProvisionedThroughputExceededException, 400, 1)                                                        \
    X(ResourceInUseException, 400, 0)                                                                        \
    X(ResourceNotFoundException, 400, 0)                                                                     \
    X(ValidationException, 400, 0)                                                                           \
    X(SerializationException, 400, 0)                                                                        \
    X(UnknownOperationException, 400, 0)                                                                     \
    X(MissingAuthenticationTokenException, 400, 0)                                                           \
    X(IncompleteSignatureException, 400, 0)                                                                  \
    X(InvalidSignatureException, 400, 0)                                                                     \
    X(UnrecognizedClientException, 400, 0)                                                                   \
    X(InvalidClientTokenId, 403, 0)                                                                          \
    X(RequestExpired, 400, 0)                                                                                \
    X(ThrottlingException, 400, 1)                                                                           \
    X(InternalFailure, 500, 1)                                                                               \
    X(ServiceUnavailable, 503, 1)                                                                            \
    X(RequestEntityTooLarge, 413, 0)

#endif
