/** MQTT topic-filter matching (`+` one level, `#` the rest), as the broker applies it. */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return i > 0 || !topic.startsWith('$');
    const actual = topicLevels[i];
    if (actual === undefined) return false;
    if (level === '+') {
      if (i === 0 && actual.startsWith('$')) return false;
      continue;
    }
    if (level !== actual) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** First item whose filters match the topic; order of the list decides overlaps. */
export function firstMatching<T extends { topics: readonly string[] }>(items: readonly T[], topic: string): T | undefined {
  return items.find((item) => item.topics.some((filter) => topicMatches(filter, topic)));
}
