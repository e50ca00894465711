// What a user id may be, wherever it comes from: the admin API, a service key's end-user header,
// a JWT claim. 1-128 characters that are safe in a Redis key, a URL path and a log line.
export const USER_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
export const USER_ID_RULE = '1-128 characters of A-Z a-z 0-9 . _ : @ -';
