/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment MessageFields on Message {\n    id body version seq createdAt editedAt isDeleted isReply threadId replyCount\n    author { id displayName }\n    reactions { emoji count viewerHasReacted }\n  }\n": typeof types.MessageFieldsFragmentDoc,
    "\n  query Viewer { viewer { id displayName email role } }\n": typeof types.ViewerDocument,
    "\n  query Sidebar {\n    eventCursor\n    channels(first: 100, filter: { joined: true, includeArchived: true }) {\n      nodes { id name isPrivate isArchived isSystem unreadCount mentionCount }\n    }\n    users(first: 100) { nodes { id displayName presence isActive } }\n  }\n": typeof types.SidebarDocument,
    "\n  query Browse {\n    channels(first: 100, filter: { joined: false }) {\n      nodes { id name description isPrivate memberCount }\n    }\n  }\n": typeof types.BrowseDocument,
    "\n  subscription ViewerEvents($after: String) {\n    viewerEvents(after: $after) {\n      __typename\n      ... on UnreadCountChanged { cursor unreadCount mentionCount channel { id } }\n      ... on MembershipChanged { cursor change channel { id } }\n      ... on MentionReceived { cursor }\n      ... on PresenceChanged { presence user { id } }\n      ... on ResyncRequired { reason }\n    }\n  }\n": typeof types.ViewerEventsDocument,
    "\n  query Channel($id: ID!, $before: String) {\n    eventCursor\n    channel(id: $id) {\n      id name description isArchived isPrivate isSystem viewerIsMember unreadCount\n      messages(last: 50, before: $before) {\n        pageInfo { hasPreviousPage startCursor }\n        edges { cursor node { ...MessageFields } }\n      }\n    }\n  }\n": typeof types.ChannelDocument,
    "\n  subscription ChannelEvents($channelId: ID!, $after: String) {\n    channelEvents(channelId: $channelId, after: $after) {\n      __typename\n      ... on MessagePosted { cursor message { ...MessageFields } }\n      ... on MessageEdited { cursor message { ...MessageFields } }\n      ... on MessageDeleted { cursor message { ...MessageFields } }\n      ... on ReactionAdded { cursor message { ...MessageFields } }\n      ... on ReactionRemoved { cursor message { ...MessageFields } }\n      ... on MemberJoined { cursor }\n      ... on MemberLeft { cursor }\n      ... on ChannelUpdated { cursor channel { id name isArchived } }\n      ... on ChannelArchived { cursor channel { id name isArchived } }\n      ... on TypingStarted { expiresAt threadId user { id displayName } }\n      ... on ResyncRequired { reason }\n    }\n  }\n": typeof types.ChannelEventsDocument,
    "\n  query Thread($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      replies(last: 100) { nodes { ...MessageFields } }\n    }\n  }\n": typeof types.ThreadDocument,
    "\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      clientMutationId\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n": typeof types.PostMessageDocument,
    "\n  mutation EditMessage($input: EditMessageInput!) {\n    editMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n": typeof types.EditMessageDocument,
    "\n  mutation DeleteMessage($input: DeleteMessageInput!) {\n    deleteMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n": typeof types.DeleteMessageDocument,
    "\n  mutation AddReaction($input: AddReactionInput!) {\n    addReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n": typeof types.AddReactionDocument,
    "\n  mutation RemoveReaction($input: RemoveReactionInput!) {\n    removeReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n": typeof types.RemoveReactionDocument,
    "\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) { expiresAt }\n  }\n": typeof types.SetTypingDocument,
    "\n  mutation MarkRead($input: MarkChannelReadInput!) {\n    markChannelRead(input: $input) {\n      errors { code }\n      channel { id unreadCount mentionCount }\n    }\n  }\n": typeof types.MarkReadDocument,
    "\n  mutation JoinChannel($input: JoinChannelInput!) {\n    joinChannel(input: $input) {\n      errors { code message }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n": typeof types.JoinChannelDocument,
    "\n  mutation LeaveChannel($input: LeaveChannelInput!) {\n    leaveChannel(input: $input) {\n      errors { code message }\n      channel { id viewerIsMember }\n    }\n  }\n": typeof types.LeaveChannelDocument,
    "\n  mutation CreateChannel($input: CreateChannelInput!) {\n    createChannel(input: $input) {\n      errors { code message field }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n": typeof types.CreateChannelDocument,
    "\n  query Search($query: String!) {\n    search(query: $query, first: 30) {\n      totalCount totalCountIsExact\n      nodes {\n        snippet\n        channel { id name }\n        message { id createdAt threadId isReply author { id displayName } }\n      }\n    }\n  }\n": typeof types.SearchDocument,
    "\n  fragment AuditEntryFields on AuditEntry {\n    id seq action targetType targetId via at diff cursor actor { id displayName }\n  }\n": typeof types.AuditEntryFieldsFragmentDoc,
    "\n  query Admin($filter: AuditFilter) {\n    users(first: 100) { nodes { id displayName email role isActive presence } }\n    auditLog(last: 50, filter: $filter) { nodes { ...AuditEntryFields } }\n  }\n": typeof types.AdminDocument,
    "\n  subscription AuditEvents($after: String, $filter: AuditFilter) {\n    auditEvents(after: $after, filter: $filter) { ...AuditEntryFields }\n  }\n": typeof types.AuditEventsDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Refresh($input: RefreshTokenInput!) {\n    refreshToken(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n": typeof types.RefreshDocument,
    "\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { sessionsEnded }\n  }\n": typeof types.LogoutDocument,
};
const documents: Documents = {
    "\n  fragment MessageFields on Message {\n    id body version seq createdAt editedAt isDeleted isReply threadId replyCount\n    author { id displayName }\n    reactions { emoji count viewerHasReacted }\n  }\n": types.MessageFieldsFragmentDoc,
    "\n  query Viewer { viewer { id displayName email role } }\n": types.ViewerDocument,
    "\n  query Sidebar {\n    eventCursor\n    channels(first: 100, filter: { joined: true, includeArchived: true }) {\n      nodes { id name isPrivate isArchived isSystem unreadCount mentionCount }\n    }\n    users(first: 100) { nodes { id displayName presence isActive } }\n  }\n": types.SidebarDocument,
    "\n  query Browse {\n    channels(first: 100, filter: { joined: false }) {\n      nodes { id name description isPrivate memberCount }\n    }\n  }\n": types.BrowseDocument,
    "\n  subscription ViewerEvents($after: String) {\n    viewerEvents(after: $after) {\n      __typename\n      ... on UnreadCountChanged { cursor unreadCount mentionCount channel { id } }\n      ... on MembershipChanged { cursor change channel { id } }\n      ... on MentionReceived { cursor }\n      ... on PresenceChanged { presence user { id } }\n      ... on ResyncRequired { reason }\n    }\n  }\n": types.ViewerEventsDocument,
    "\n  query Channel($id: ID!, $before: String) {\n    eventCursor\n    channel(id: $id) {\n      id name description isArchived isPrivate isSystem viewerIsMember unreadCount\n      messages(last: 50, before: $before) {\n        pageInfo { hasPreviousPage startCursor }\n        edges { cursor node { ...MessageFields } }\n      }\n    }\n  }\n": types.ChannelDocument,
    "\n  subscription ChannelEvents($channelId: ID!, $after: String) {\n    channelEvents(channelId: $channelId, after: $after) {\n      __typename\n      ... on MessagePosted { cursor message { ...MessageFields } }\n      ... on MessageEdited { cursor message { ...MessageFields } }\n      ... on MessageDeleted { cursor message { ...MessageFields } }\n      ... on ReactionAdded { cursor message { ...MessageFields } }\n      ... on ReactionRemoved { cursor message { ...MessageFields } }\n      ... on MemberJoined { cursor }\n      ... on MemberLeft { cursor }\n      ... on ChannelUpdated { cursor channel { id name isArchived } }\n      ... on ChannelArchived { cursor channel { id name isArchived } }\n      ... on TypingStarted { expiresAt threadId user { id displayName } }\n      ... on ResyncRequired { reason }\n    }\n  }\n": types.ChannelEventsDocument,
    "\n  query Thread($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      replies(last: 100) { nodes { ...MessageFields } }\n    }\n  }\n": types.ThreadDocument,
    "\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      clientMutationId\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n": types.PostMessageDocument,
    "\n  mutation EditMessage($input: EditMessageInput!) {\n    editMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n": types.EditMessageDocument,
    "\n  mutation DeleteMessage($input: DeleteMessageInput!) {\n    deleteMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n": types.DeleteMessageDocument,
    "\n  mutation AddReaction($input: AddReactionInput!) {\n    addReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n": types.AddReactionDocument,
    "\n  mutation RemoveReaction($input: RemoveReactionInput!) {\n    removeReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n": types.RemoveReactionDocument,
    "\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) { expiresAt }\n  }\n": types.SetTypingDocument,
    "\n  mutation MarkRead($input: MarkChannelReadInput!) {\n    markChannelRead(input: $input) {\n      errors { code }\n      channel { id unreadCount mentionCount }\n    }\n  }\n": types.MarkReadDocument,
    "\n  mutation JoinChannel($input: JoinChannelInput!) {\n    joinChannel(input: $input) {\n      errors { code message }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n": types.JoinChannelDocument,
    "\n  mutation LeaveChannel($input: LeaveChannelInput!) {\n    leaveChannel(input: $input) {\n      errors { code message }\n      channel { id viewerIsMember }\n    }\n  }\n": types.LeaveChannelDocument,
    "\n  mutation CreateChannel($input: CreateChannelInput!) {\n    createChannel(input: $input) {\n      errors { code message field }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n": types.CreateChannelDocument,
    "\n  query Search($query: String!) {\n    search(query: $query, first: 30) {\n      totalCount totalCountIsExact\n      nodes {\n        snippet\n        channel { id name }\n        message { id createdAt threadId isReply author { id displayName } }\n      }\n    }\n  }\n": types.SearchDocument,
    "\n  fragment AuditEntryFields on AuditEntry {\n    id seq action targetType targetId via at diff cursor actor { id displayName }\n  }\n": types.AuditEntryFieldsFragmentDoc,
    "\n  query Admin($filter: AuditFilter) {\n    users(first: 100) { nodes { id displayName email role isActive presence } }\n    auditLog(last: 50, filter: $filter) { nodes { ...AuditEntryFields } }\n  }\n": types.AdminDocument,
    "\n  subscription AuditEvents($after: String, $filter: AuditFilter) {\n    auditEvents(after: $after, filter: $filter) { ...AuditEntryFields }\n  }\n": types.AuditEventsDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n": types.LoginDocument,
    "\n  mutation Refresh($input: RefreshTokenInput!) {\n    refreshToken(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n": types.RefreshDocument,
    "\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { sessionsEnded }\n  }\n": types.LogoutDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageFields on Message {\n    id body version seq createdAt editedAt isDeleted isReply threadId replyCount\n    author { id displayName }\n    reactions { emoji count viewerHasReacted }\n  }\n"): (typeof documents)["\n  fragment MessageFields on Message {\n    id body version seq createdAt editedAt isDeleted isReply threadId replyCount\n    author { id displayName }\n    reactions { emoji count viewerHasReacted }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer { viewer { id displayName email role } }\n"): (typeof documents)["\n  query Viewer { viewer { id displayName email role } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sidebar {\n    eventCursor\n    channels(first: 100, filter: { joined: true, includeArchived: true }) {\n      nodes { id name isPrivate isArchived isSystem unreadCount mentionCount }\n    }\n    users(first: 100) { nodes { id displayName presence isActive } }\n  }\n"): (typeof documents)["\n  query Sidebar {\n    eventCursor\n    channels(first: 100, filter: { joined: true, includeArchived: true }) {\n      nodes { id name isPrivate isArchived isSystem unreadCount mentionCount }\n    }\n    users(first: 100) { nodes { id displayName presence isActive } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Browse {\n    channels(first: 100, filter: { joined: false }) {\n      nodes { id name description isPrivate memberCount }\n    }\n  }\n"): (typeof documents)["\n  query Browse {\n    channels(first: 100, filter: { joined: false }) {\n      nodes { id name description isPrivate memberCount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ViewerEvents($after: String) {\n    viewerEvents(after: $after) {\n      __typename\n      ... on UnreadCountChanged { cursor unreadCount mentionCount channel { id } }\n      ... on MembershipChanged { cursor change channel { id } }\n      ... on MentionReceived { cursor }\n      ... on PresenceChanged { presence user { id } }\n      ... on ResyncRequired { reason }\n    }\n  }\n"): (typeof documents)["\n  subscription ViewerEvents($after: String) {\n    viewerEvents(after: $after) {\n      __typename\n      ... on UnreadCountChanged { cursor unreadCount mentionCount channel { id } }\n      ... on MembershipChanged { cursor change channel { id } }\n      ... on MentionReceived { cursor }\n      ... on PresenceChanged { presence user { id } }\n      ... on ResyncRequired { reason }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Channel($id: ID!, $before: String) {\n    eventCursor\n    channel(id: $id) {\n      id name description isArchived isPrivate isSystem viewerIsMember unreadCount\n      messages(last: 50, before: $before) {\n        pageInfo { hasPreviousPage startCursor }\n        edges { cursor node { ...MessageFields } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Channel($id: ID!, $before: String) {\n    eventCursor\n    channel(id: $id) {\n      id name description isArchived isPrivate isSystem viewerIsMember unreadCount\n      messages(last: 50, before: $before) {\n        pageInfo { hasPreviousPage startCursor }\n        edges { cursor node { ...MessageFields } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ChannelEvents($channelId: ID!, $after: String) {\n    channelEvents(channelId: $channelId, after: $after) {\n      __typename\n      ... on MessagePosted { cursor message { ...MessageFields } }\n      ... on MessageEdited { cursor message { ...MessageFields } }\n      ... on MessageDeleted { cursor message { ...MessageFields } }\n      ... on ReactionAdded { cursor message { ...MessageFields } }\n      ... on ReactionRemoved { cursor message { ...MessageFields } }\n      ... on MemberJoined { cursor }\n      ... on MemberLeft { cursor }\n      ... on ChannelUpdated { cursor channel { id name isArchived } }\n      ... on ChannelArchived { cursor channel { id name isArchived } }\n      ... on TypingStarted { expiresAt threadId user { id displayName } }\n      ... on ResyncRequired { reason }\n    }\n  }\n"): (typeof documents)["\n  subscription ChannelEvents($channelId: ID!, $after: String) {\n    channelEvents(channelId: $channelId, after: $after) {\n      __typename\n      ... on MessagePosted { cursor message { ...MessageFields } }\n      ... on MessageEdited { cursor message { ...MessageFields } }\n      ... on MessageDeleted { cursor message { ...MessageFields } }\n      ... on ReactionAdded { cursor message { ...MessageFields } }\n      ... on ReactionRemoved { cursor message { ...MessageFields } }\n      ... on MemberJoined { cursor }\n      ... on MemberLeft { cursor }\n      ... on ChannelUpdated { cursor channel { id name isArchived } }\n      ... on ChannelArchived { cursor channel { id name isArchived } }\n      ... on TypingStarted { expiresAt threadId user { id displayName } }\n      ... on ResyncRequired { reason }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Thread($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      replies(last: 100) { nodes { ...MessageFields } }\n    }\n  }\n"): (typeof documents)["\n  query Thread($id: ID!) {\n    message(id: $id) {\n      ...MessageFields\n      replies(last: 100) { nodes { ...MessageFields } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      clientMutationId\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n"): (typeof documents)["\n  mutation PostMessage($input: PostMessageInput!) {\n    postMessage(input: $input) {\n      clientMutationId\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EditMessage($input: EditMessageInput!) {\n    editMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n"): (typeof documents)["\n  mutation EditMessage($input: EditMessageInput!) {\n    editMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMessage($input: DeleteMessageInput!) {\n    deleteMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteMessage($input: DeleteMessageInput!) {\n    deleteMessage(input: $input) {\n      errors { code message }\n      message { ...MessageFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddReaction($input: AddReactionInput!) {\n    addReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n"): (typeof documents)["\n  mutation AddReaction($input: AddReactionInput!) {\n    addReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveReaction($input: RemoveReactionInput!) {\n    removeReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n"): (typeof documents)["\n  mutation RemoveReaction($input: RemoveReactionInput!) {\n    removeReaction(input: $input) { errors { code message } message { ...MessageFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) { expiresAt }\n  }\n"): (typeof documents)["\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) { expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkRead($input: MarkChannelReadInput!) {\n    markChannelRead(input: $input) {\n      errors { code }\n      channel { id unreadCount mentionCount }\n    }\n  }\n"): (typeof documents)["\n  mutation MarkRead($input: MarkChannelReadInput!) {\n    markChannelRead(input: $input) {\n      errors { code }\n      channel { id unreadCount mentionCount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation JoinChannel($input: JoinChannelInput!) {\n    joinChannel(input: $input) {\n      errors { code message }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n"): (typeof documents)["\n  mutation JoinChannel($input: JoinChannelInput!) {\n    joinChannel(input: $input) {\n      errors { code message }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LeaveChannel($input: LeaveChannelInput!) {\n    leaveChannel(input: $input) {\n      errors { code message }\n      channel { id viewerIsMember }\n    }\n  }\n"): (typeof documents)["\n  mutation LeaveChannel($input: LeaveChannelInput!) {\n    leaveChannel(input: $input) {\n      errors { code message }\n      channel { id viewerIsMember }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateChannel($input: CreateChannelInput!) {\n    createChannel(input: $input) {\n      errors { code message field }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateChannel($input: CreateChannelInput!) {\n    createChannel(input: $input) {\n      errors { code message field }\n      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Search($query: String!) {\n    search(query: $query, first: 30) {\n      totalCount totalCountIsExact\n      nodes {\n        snippet\n        channel { id name }\n        message { id createdAt threadId isReply author { id displayName } }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Search($query: String!) {\n    search(query: $query, first: 30) {\n      totalCount totalCountIsExact\n      nodes {\n        snippet\n        channel { id name }\n        message { id createdAt threadId isReply author { id displayName } }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuditEntryFields on AuditEntry {\n    id seq action targetType targetId via at diff cursor actor { id displayName }\n  }\n"): (typeof documents)["\n  fragment AuditEntryFields on AuditEntry {\n    id seq action targetType targetId via at diff cursor actor { id displayName }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Admin($filter: AuditFilter) {\n    users(first: 100) { nodes { id displayName email role isActive presence } }\n    auditLog(last: 50, filter: $filter) { nodes { ...AuditEntryFields } }\n  }\n"): (typeof documents)["\n  query Admin($filter: AuditFilter) {\n    users(first: 100) { nodes { id displayName email role isActive presence } }\n    auditLog(last: 50, filter: $filter) { nodes { ...AuditEntryFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription AuditEvents($after: String, $filter: AuditFilter) {\n    auditEvents(after: $after, filter: $filter) { ...AuditEntryFields }\n  }\n"): (typeof documents)["\n  subscription AuditEvents($after: String, $filter: AuditFilter) {\n    auditEvents(after: $after, filter: $filter) { ...AuditEntryFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($input: RefreshTokenInput!) {\n    refreshToken(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n"): (typeof documents)["\n  mutation Refresh($input: RefreshTokenInput!) {\n    refreshToken(input: $input) {\n      errors { code message }\n      accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { sessionsEnded }\n  }\n"): (typeof documents)["\n  mutation Logout($input: LogoutInput!) {\n    logout(input: $input) { sessionsEnded }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;