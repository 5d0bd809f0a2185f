package io.ketch.server;

import io.ketch.pb.etcdserver.Member;
import java.util.List;

/**
 * What a membership change answers: the member it added (null for other changes) and every
 * member once the change is applied on the member that took the request.
 */
public record MemberChangeResult(Member added, List<Member> members) {}
