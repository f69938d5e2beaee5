import { graphql } from "../gql";

// One place for the app's operations: codegen types them from ../schema.graphql.

export const MessageFields = graphql(`
  fragment MessageFields on Message {
    id body version seq createdAt editedAt isDeleted isReply threadId replyCount
    author { id displayName }
    reactions { emoji count viewerHasReacted }
  }
`);

export const ViewerQuery = graphql(`
  query Viewer { viewer { id displayName email role } }
`);

export const SidebarQuery = graphql(`
  query Sidebar {
    eventCursor
    channels(first: 100, filter: { joined: true, includeArchived: true }) {
      nodes { id name isPrivate isArchived isSystem unreadCount mentionCount }
    }
    users(first: 100) { nodes { id displayName presence isActive } }
  }
`);

export const BrowseQuery = graphql(`
  query Browse {
    channels(first: 100, filter: { joined: false }) {
      nodes { id name description isPrivate memberCount }
    }
  }
`);

export const ViewerEventsSub = graphql(`
  subscription ViewerEvents($after: String) {
    viewerEvents(after: $after) {
      __typename
      ... on UnreadCountChanged { cursor unreadCount mentionCount channel { id } }
      ... on MembershipChanged { cursor change channel { id } }
      ... on MentionReceived { cursor }
      ... on PresenceChanged { presence user { id } }
      ... on ResyncRequired { reason }
    }
  }
`);

export const ChannelQuery = graphql(`
  query Channel($id: ID!, $before: String) {
    eventCursor
    channel(id: $id) {
      id name description isArchived isPrivate isSystem viewerIsMember unreadCount
      messages(last: 50, before: $before) {
        pageInfo { hasPreviousPage startCursor }
        edges { cursor node { ...MessageFields } }
      }
    }
  }
`);

export const ChannelEventsSub = graphql(`
  subscription ChannelEvents($channelId: ID!, $after: String) {
    channelEvents(channelId: $channelId, after: $after) {
      __typename
      ... on MessagePosted { cursor message { ...MessageFields } }
      ... on MessageEdited { cursor message { ...MessageFields } }
      ... on MessageDeleted { cursor message { ...MessageFields } }
      ... on ReactionAdded { cursor message { ...MessageFields } }
      ... on ReactionRemoved { cursor message { ...MessageFields } }
      ... on MemberJoined { cursor }
      ... on MemberLeft { cursor }
      ... on ChannelUpdated { cursor channel { id name isArchived } }
      ... on ChannelArchived { cursor channel { id name isArchived } }
      ... on TypingStarted { expiresAt threadId user { id displayName } }
      ... on ResyncRequired { reason }
    }
  }
`);

export const ThreadQuery = graphql(`
  query Thread($id: ID!) {
    message(id: $id) {
      ...MessageFields
      replies(last: 100) { nodes { ...MessageFields } }
    }
  }
`);

export const PostMessage = graphql(`
  mutation PostMessage($input: PostMessageInput!) {
    postMessage(input: $input) {
      clientMutationId
      errors { code message }
      message { ...MessageFields }
    }
  }
`);

export const EditMessage = graphql(`
  mutation EditMessage($input: EditMessageInput!) {
    editMessage(input: $input) {
      errors { code message }
      message { ...MessageFields }
    }
  }
`);

export const DeleteMessage = graphql(`
  mutation DeleteMessage($input: DeleteMessageInput!) {
    deleteMessage(input: $input) {
      errors { code message }
      message { ...MessageFields }
    }
  }
`);

export const AddReaction = graphql(`
  mutation AddReaction($input: AddReactionInput!) {
    addReaction(input: $input) { errors { code message } message { ...MessageFields } }
  }
`);

export const RemoveReaction = graphql(`
  mutation RemoveReaction($input: RemoveReactionInput!) {
    removeReaction(input: $input) { errors { code message } message { ...MessageFields } }
  }
`);

export const SetTyping = graphql(`
  mutation SetTyping($input: SetTypingInput!) {
    setTyping(input: $input) { expiresAt }
  }
`);

export const MarkRead = graphql(`
  mutation MarkRead($input: MarkChannelReadInput!) {
    markChannelRead(input: $input) {
      errors { code }
      channel { id unreadCount mentionCount }
    }
  }
`);

export const JoinChannel = graphql(`
  mutation JoinChannel($input: JoinChannelInput!) {
    joinChannel(input: $input) {
      errors { code message }
      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }
    }
  }
`);

export const LeaveChannel = graphql(`
  mutation LeaveChannel($input: LeaveChannelInput!) {
    leaveChannel(input: $input) {
      errors { code message }
      channel { id viewerIsMember }
    }
  }
`);

export const CreateChannel = graphql(`
  mutation CreateChannel($input: CreateChannelInput!) {
    createChannel(input: $input) {
      errors { code message field }
      channel { id name isPrivate isArchived isSystem viewerIsMember unreadCount mentionCount }
    }
  }
`);

export const SearchQuery = graphql(`
  query Search($query: String!) {
    search(query: $query, first: 30) {
      totalCount totalCountIsExact
      nodes {
        snippet
        channel { id name }
        message { id createdAt threadId isReply author { id displayName } }
      }
    }
  }
`);

export const AuditEntryFields = graphql(`
  fragment AuditEntryFields on AuditEntry {
    id seq action targetType targetId via at diff cursor actor { id displayName }
  }
`);

export const AdminQuery = graphql(`
  query Admin($filter: AuditFilter) {
    users(first: 100) { nodes { id displayName email role isActive presence } }
    auditLog(last: 50, filter: $filter) { nodes { ...AuditEntryFields } }
  }
`);

export const AuditEventsSub = graphql(`
  subscription AuditEvents($after: String, $filter: AuditFilter) {
    auditEvents(after: $after, filter: $filter) { ...AuditEntryFields }
  }
`);
