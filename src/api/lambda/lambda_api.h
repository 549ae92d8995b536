// LambdaApi: the AWS Lambda wire protocol (REST-JSON, API version 2015-03-31, SigV4 service
// "lambda") over functions::Functions — one handler per action, named after it:
//   POST   /2015-03-31/functions                          CreateFunction (201)
//   GET    /2015-03-31/functions/?Marker=&MaxItems=       ListFunctions
//   GET    /2015-03-31/functions/{name}                   GetFunction
//   DELETE /2015-03-31/functions/{name}                   DeleteFunction (204)
//   GET    /2015-03-31/functions/{name}/configuration     GetFunctionConfiguration
//   PUT    /2015-03-31/functions/{name}/configuration     UpdateFunctionConfiguration
//   PUT    /2015-03-31/functions/{name}/code              UpdateFunctionCode
//   POST   /2015-03-31/functions/{name}/invocations       Invoke
//   GET|POST|DELETE /2017-03-31/tags/{arn}                ListTags / TagResource / UntagResource
// {name} is percent-decoded and may be a name, a partial ARN or an ARN (with ?Qualifier= or a
// :QUALIFIER suffix; only $LATEST exists). Errors are Lambda's: HTTP status, x-amzn-ErrorType
// and {"Type":"User","message":…} ("Message" for ResourceNotFoundException and
// ServiceException, as the model spells them); Status codes map through one table
// (lambda_errors.cc). Constraint violations of the model (patterns, ranges) are
// ValidationException, unreadable JSON InvalidRequestContentException.
//
// Invoke answers only when the function has finished, so the real entry point is HandleAsync,
// whose reply may come on a later turn of the control loop. The Router's REST handlers are
// synchronous (api/router.h), so Handle adapts: it calls HandleAsync and, while the reply is
// pending, runs the control loop through Options::run_until (the daemon passes a loop over
// io_context::run_one()). Other requests are answered from inside HandleAsync-then-pump too,
// since Functions posts every Invoke result. Consequence of the nested loop: concurrent
// synchronous invocations complete in LIFO order (an outer one's response waits for the inner
// one's); a Router that takes deferred responses would remove the pump (see docs).
//
// Threads: control thread only.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api/http/error_table.h"
#include "api/http/http_types.h"
#include "functions/functions.h"

namespace berth::api {

class LambdaApi {
 public:
  static constexpr const char* kSigningName = "lambda";

  struct Options {
    // Runs the control loop until done() is true or the loop stops (Handle's adapter).
    // Null: Handle answers what completes at once and 503 for the rest.
    std::function<void(const std::function<bool()>& done)> run_until;
  };

  LambdaApi(functions::Functions& functions, Options options)
      : functions_(functions), options_(std::move(options)) {}

  // The whole request (method, path, query, headers, body); region from the SigV4 scope.
  // reply runs exactly once, on the control thread, maybe after HandleAsync returned.
  void HandleAsync(const HttpRequest& req, const std::string& region,
                   std::function<void(HttpResponse)> reply);
  // Synchronous adapter for Router::AddRestService (see the top of this file).
  HttpResponse Handle(const HttpRequest& req, const std::string& region);

  // Lambda's error response for an AwsError (status, x-amzn-ErrorType, {"Type","message"}).
  static HttpResponse ErrorResponse(const AwsError& error);
  // The FunctionConfiguration shape of a function.
  nlohmann::json ConfigurationJson(const functions::FunctionConfig& config) const;

  struct Request;  // a decoded request (lambda_internal.h)

 private:
  using Reply = std::function<void(HttpResponse)>;

  HttpResponse CreateFunction(const Request& r);
  HttpResponse ListFunctions(const Request& r);
  HttpResponse GetFunction(const Request& r, const std::string& name);
  HttpResponse GetFunctionConfiguration(const Request& r, const std::string& name);
  HttpResponse DeleteFunction(const Request& r, const std::string& name);
  HttpResponse UpdateFunctionCode(const Request& r, const std::string& name);
  HttpResponse UpdateFunctionConfiguration(const Request& r, const std::string& name);
  void Invoke(const Request& r, const std::string& name, Reply reply);
  HttpResponse ListTags(const Request& r, const std::string& arn);
  HttpResponse TagResource(const Request& r, const std::string& arn);
  HttpResponse UntagResource(const Request& r, const std::string& arn);

  functions::Functions& functions_;
  Options options_;
};

// Status → Lambda error (lambda_errors.cc).
AwsError LambdaError(const Status& s);

}  // namespace berth::api
