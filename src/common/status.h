// Status and Result<T>: how every berth function reports failure. Our code throws nothing;
// exceptions from libraries are caught at the edges and turned into a Status.
//
// A Status carries a code (what kind of failure), a message (shown to the client as is), and
// the kind of resource it concerns. The API layer maps (code, resource) to the AWS error name
// with one table (api/http/error_table.h) — never by looking at the message.
// Value type; any thread.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace berth {

enum class Code {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kConflict,
  kResourceExhausted,
  kUnavailable,
  kUnauthenticated,
  kInternal,
};

// What a failure is about; lets the error table pick e.g. ClusterNotFoundException.
enum class Resource {
  kNone = 0,
  kCluster,
  kService,
  kTask,
  kTaskDefinition,
  kContainerInstance,
  kInactiveService,  // an operation that needs an ACTIVE service met a DRAINING/INACTIVE one
  // Elastic Load Balancing v2 (lb/).
  kLoadBalancer,
  kTargetGroup,
  kListener,
  kTarget,
  kTag,
  // S3 (objects/).
  kBucket,
  kObject,
  kMultipartUpload,
  kPart,  // a multipart upload's part: NotFound = InvalidPart, InvalidArgument = InvalidPartOrder,
          // FailedPrecondition = EntityTooSmall
  // SSM Parameter Store and Secrets Manager (secrets/).
  kParameter,
  kParameterVersion,
  kSecret,
  kSecretVersion,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, Resource resource = Resource::kNone)
      : code_(code), resource_(resource), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  Resource resource() const { return resource_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  Resource resource_ = Resource::kNone;
  std::string message_;
};

inline Status InvalidArgument(std::string m, Resource r = Resource::kNone) {
  return Status(Code::kInvalidArgument, std::move(m), r);
}
inline Status NotFound(std::string m, Resource r = Resource::kNone) {
  return Status(Code::kNotFound, std::move(m), r);
}
inline Status FailedPrecondition(std::string m, Resource r = Resource::kNone) {
  return Status(Code::kFailedPrecondition, std::move(m), r);
}
inline Status Conflict(std::string m, Resource r = Resource::kNone) {
  return Status(Code::kConflict, std::move(m), r);
}
inline Status ResourceExhausted(std::string m, Resource r = Resource::kNone) {
  return Status(Code::kResourceExhausted, std::move(m), r);
}
inline Status Unavailable(std::string m) { return Status(Code::kUnavailable, std::move(m)); }
inline Status Internal(std::string m) { return Status(Code::kInternal, std::move(m)); }

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

#define BERTH_RETURN_IF_ERROR(expr)          \
  do {                                       \
    ::berth::Status _st = (expr);            \
    if (!_st.ok()) return _st;               \
  } while (0)

}  // namespace berth
