// Elbv2Api: the Elastic Load Balancing v2 wire protocol (AWS query protocol, API version
// 2015-12-01, SigV4 service "elasticloadbalancing") over lb::LoadBalancing — one handler per
// action, named after it. Requests are form-urlencoded `Action=…&Version=…&…` bodies; answers
// are XML `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…` documents, errors
// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`
// (elbv2_errors.cc maps Status to the AWS code). Input is fully checked before the load
// balancers are touched.
// Threads: control thread only.
#pragma once

#include <optional>
#include <string>

#include "api/elbv2/query_input.h"
#include "api/elbv2/xml_writer.h"
#include "api/http/error_table.h"
#include "api/http/http_types.h"
#include "lb/load_balancing.h"

namespace berth::api {

class Elbv2Api {
 public:
  static constexpr const char* kSigningName = "elasticloadbalancing";
  static constexpr const char* kVersion = "2015-12-01";

  explicit Elbv2Api(lb::LoadBalancing& lb) : lb_(lb) {}

  // body: the form-urlencoded request; region: from the SigV4 credential scope.
  HttpResponse Handle(const std::string& body, const std::string& region);

  // What a handler produces: the inside of <ActionResult>, or an error.
  struct Reply {
    std::string result_xml;
    std::optional<AwsError> error;
  };

 private:
  using In = elbv2::QueryInput;
  Reply CreateLoadBalancer(In& in, const std::string& region);
  Reply DescribeLoadBalancers(In& in);
  Reply DeleteLoadBalancer(In& in);
  Reply CreateTargetGroup(In& in, const std::string& region);
  Reply DescribeTargetGroups(In& in);
  Reply ModifyTargetGroup(In& in);
  Reply DeleteTargetGroup(In& in);
  Reply DescribeTargetGroupAttributes(In& in);
  Reply ModifyTargetGroupAttributes(In& in);
  Reply CreateListener(In& in);
  Reply DescribeListeners(In& in);
  Reply DeleteListener(In& in);
  Reply RegisterTargets(In& in);
  Reply DeregisterTargets(In& in);
  Reply DescribeTargetHealth(In& in);
  Reply AddTags(In& in);
  Reply RemoveTags(In& in);
  Reply DescribeTags(In& in);

  lb::LoadBalancing& lb_;
};

namespace elbv2 {

// Shared by the handler files (elbv2_errors.cc).
AwsError Elbv2Error(const Status& s);
Elbv2Api::Reply Fail(const Status& s);
Elbv2Api::Reply Invalid(const std::string& message);  // ValidationError
Elbv2Api::Reply InputError(const QueryInput& in);
Elbv2Api::Reply Ok(const XmlWriter& w);

// Tags.member.N.Key/Value; records a ValidationError in `in` for a member without Key.
lb::Tags TagsFrom(QueryInput& in, const std::string& key);
void WriteTags(XmlWriter& w, const lb::Tags& tags);
// Targets.member.N.Id/Port.
std::vector<lb::TargetRef> TargetsFrom(QueryInput& in);
// Protocol=HTTP|TCP; UnsupportedProtocol for AWS's other protocols, ValidationError otherwise.
std::optional<lb::Protocol> ParseProtocolParam(QueryInput& in, const std::string& key,
                                               std::optional<Elbv2Api::Reply>* error);
// Marker/PageSize paging over n items: [*begin, *end) and the next marker ("" = last page).
bool Page(QueryInput& in, size_t n, size_t* begin, size_t* end, std::string* next_marker,
          Elbv2Api::Reply* error);

}  // namespace elbv2
}  // namespace berth::api
