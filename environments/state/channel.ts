// The PostgreSQL channel on which team state announces a changed item (`<table>/<key>`), for editors that keep views live.
export const STATE_CHANNEL = 'slipway_state';
