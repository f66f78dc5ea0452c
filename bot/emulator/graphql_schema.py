"""The part of GitHub's GraphQL schema the emulator serves, in GitHub's own type and field names.

Enough for an app to find its review threads on a pull request, resolve or unresolve them, and minimize
(or unminimize) its comments: `repository.pullRequest.reviewThreads` with their `comments`, `node(s)` by
global id, `rateLimit`, and the mutations `resolveReviewThread`, `unresolveReviewThread`, `minimizeComment`
and `unminimizeComment`. Any other field is answered as GitHub answers a field it does not have.
"""

from __future__ import annotations

SCHEMA_SDL = '''
"""An ISO-8601 encoded UTC date string."""
scalar DateTime

"""An RFC 3986, RFC 3987, and RFC 6570 (level 4) compliant URI string."""
scalar URI

"""A Git object ID."""
scalar GitObjectID

"""Represents non-fractional signed whole numeric values. Since the value may exceed the size of a 32-bit
integer, it's encoded as a string."""
scalar BigInt

interface Node {
  id: ID!
}

interface Actor {
  avatarUrl(size: Int): URI!
  login: String!
  resourcePath: URI!
  url: URI!
}

interface RepositoryOwner {
  avatarUrl(size: Int): URI!
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

interface Minimizable {
  isMinimized: Boolean!
  minimizedReason: String
  viewerCanMinimize: Boolean!
}

type User implements Node & Actor & RepositoryOwner {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

type Bot implements Node & Actor {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

type Organization implements Node & Actor & RepositoryOwner {
  avatarUrl(size: Int): URI!
  databaseId: Int
  id: ID!
  login: String!
  resourcePath: URI!
  url: URI!
}

type PageInfo {
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}

type RateLimit {
  cost: Int!
  limit: Int!
  nodeCount: Int!
  remaining: Int!
  resetAt: DateTime!
  used: Int!
}

type Query {
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  rateLimit(dryRun: Boolean = false): RateLimit
  repository(followRenames: Boolean = true, name: String!, owner: String!): Repository
}

type Repository implements Node {
  databaseId: Int
  id: ID!
  isPrivate: Boolean!
  name: String!
  nameWithOwner: String!
  owner: RepositoryOwner!
  pullRequest(number: Int!): PullRequest
  url: URI!
}

enum PullRequestState {
  CLOSED
  MERGED
  OPEN
}

type Commit {
  abbreviatedOid: String!
  oid: GitObjectID!
}

type PullRequest implements Node {
  author: Actor
  baseRefName: String!
  body: String!
  createdAt: DateTime!
  databaseId: Int
  headRefName: String!
  headRefOid: GitObjectID!
  id: ID!
  isDraft: Boolean!
  number: Int!
  repository: Repository!
  reviewThreads(after: String, before: String, first: Int, last: Int): PullRequestReviewThreadConnection!
  state: PullRequestState!
  title: String!
  updatedAt: DateTime!
  url: URI!
}

enum DiffSide {
  LEFT
  RIGHT
}

enum PullRequestReviewThreadSubjectType {
  FILE
  LINE
}

type PullRequestReviewThreadConnection {
  edges: [PullRequestReviewThreadEdge]
  nodes: [PullRequestReviewThread]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestReviewThreadEdge {
  cursor: String!
  node: PullRequestReviewThread
}

type PullRequestReviewThread implements Node {
  comments(
    after: String
    before: String
    first: Int
    last: Int
    skip: Int
  ): PullRequestReviewCommentConnection!
  diffSide: DiffSide!
  id: ID!
  isCollapsed: Boolean!
  isOutdated: Boolean!
  isResolved: Boolean!
  line: Int
  originalLine: Int
  originalStartLine: Int
  path: String!
  pullRequest: PullRequest!
  repository: Repository!
  resolvedBy: User
  startDiffSide: DiffSide
  startLine: Int
  subjectType: PullRequestReviewThreadSubjectType!
  viewerCanReply: Boolean!
  viewerCanResolve: Boolean!
  viewerCanUnresolve: Boolean!
}

type PullRequestReviewCommentConnection {
  edges: [PullRequestReviewCommentEdge]
  nodes: [PullRequestReviewComment]
  pageInfo: PageInfo!
  totalCount: Int!
}

type PullRequestReviewCommentEdge {
  cursor: String!
  node: PullRequestReviewComment
}

enum PullRequestReviewState {
  APPROVED
  CHANGES_REQUESTED
  COMMENTED
  DISMISSED
  PENDING
}

enum PullRequestReviewCommentState {
  PENDING
  SUBMITTED
}

type PullRequestReview implements Node {
  author: Actor
  body: String!
  databaseId: Int
  id: ID!
  state: PullRequestReviewState!
}

type PullRequestReviewComment implements Node & Minimizable {
  author: Actor
  body: String!
  bodyText: String!
  commit: Commit
  createdAt: DateTime!
  databaseId: Int
  diffHunk: String!
  fullDatabaseId: BigInt
  id: ID!
  isMinimized: Boolean!
  line: Int
  minimizedReason: String
  originalCommit: Commit
  originalLine: Int
  originalStartLine: Int
  outdated: Boolean!
  path: String!
  pullRequestReview: PullRequestReview
  replyTo: PullRequestReviewComment
  startLine: Int
  state: PullRequestReviewCommentState!
  updatedAt: DateTime!
  url: URI!
  viewerCanMinimize: Boolean!
  viewerDidAuthor: Boolean!
}

type IssueComment implements Node & Minimizable {
  author: Actor
  body: String!
  bodyText: String!
  createdAt: DateTime!
  databaseId: Int
  fullDatabaseId: BigInt
  id: ID!
  isMinimized: Boolean!
  minimizedReason: String
  updatedAt: DateTime!
  url: URI!
  viewerCanMinimize: Boolean!
  viewerDidAuthor: Boolean!
}

enum ReportedContentClassifiers {
  ABUSE
  DUPLICATE
  OFF_TOPIC
  OUTDATED
  RESOLVED
  SPAM
}

input ResolveReviewThreadInput {
  clientMutationId: String
  threadId: ID!
}

type ResolveReviewThreadPayload {
  clientMutationId: String
  thread: PullRequestReviewThread
}

input UnresolveReviewThreadInput {
  clientMutationId: String
  threadId: ID!
}

type UnresolveReviewThreadPayload {
  clientMutationId: String
  thread: PullRequestReviewThread
}

input MinimizeCommentInput {
  classifier: ReportedContentClassifiers!
  clientMutationId: String
  subjectId: ID!
}

type MinimizeCommentPayload {
  clientMutationId: String
  minimizedComment: Minimizable
}

input UnminimizeCommentInput {
  clientMutationId: String
  subjectId: ID!
}

type UnminimizeCommentPayload {
  clientMutationId: String
  unminimizedComment: Minimizable
}

type Mutation {
  minimizeComment(input: MinimizeCommentInput!): MinimizeCommentPayload
  resolveReviewThread(input: ResolveReviewThreadInput!): ResolveReviewThreadPayload
  unminimizeComment(input: UnminimizeCommentInput!): UnminimizeCommentPayload
  unresolveReviewThread(input: UnresolveReviewThreadInput!): UnresolveReviewThreadPayload
}
'''
