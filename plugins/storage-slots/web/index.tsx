export default function PositionMap() { return null; }
