/**
 * The webhook deliveries this installation has accepted, by sender and delivery id (GitHub's `X-GitHub-Delivery`,
 * GitLab's `X-Gitlab-Event-UUID`), each kept until its expiry: a delivery seen again before then is a replay, answered
 * without work. Kept in the catalog database, so every API replica shares it.
 */
export interface WebhookDeliveries {
  /**
   * Records the delivery `id` from `sender` as seen until `keepUntil`, in one step: true when it was new (or its
   * previous record had expired), false when it was already recorded and has not expired (a replay). Expired records are
   * pruned along the way.
   */
  recordFirstDelivery(sender: string, id: string, keepUntil: Date): Promise<boolean>;
}
